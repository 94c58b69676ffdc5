#!/bin/sh
# Install the livekit-sip provider plugin into Pulumi's plugin cache ($PULUMI_HOME/plugins) as
# `livekit-sip` of this checkout's version, run by this checkout's Python. Then the entry
# `pulumi package add <this folder>/pulumi-resource-livekit-sip` writes into a project's
# Pulumi.yaml (`livekit-sip: livekit-sip@<version>`: Pulumi condenses a local plugin file to its
# name and version, pulumi/pulumi#21349) resolves, in every language, with no edit.
#
# usage: provider/install-plugin.sh      (the Python: $LIVEKIT_SIP_PYTHON, else ../.venv)
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
python="${LIVEKIT_SIP_PYTHON:-$here/../.venv/bin/python}"
[ -x "$python" ] || { echo "install-plugin.sh: no Python at $python: run \`make venv\` or set LIVEKIT_SIP_PYTHON" >&2; exit 1; }
python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")"
version="$("$python" -c 'from importlib.metadata import version; print(version("livekit-sip-pulumi"))')"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/pulumi-resource-livekit-sip" <<SHIM
#!/bin/sh
# The livekit-sip provider plugin $version, installed by $here/install-plugin.sh.
exec "$python" -m livekit_sip_pulumi.plugin "\$@"
SHIM
chmod +x "$work/pulumi-resource-livekit-sip"
tar -czf "$work/plugin.tar.gz" -C "$work" pulumi-resource-livekit-sip
pulumi plugin install resource livekit-sip "$version" --file "$work/plugin.tar.gz" --reinstall
echo "livekit-sip $version installed (runs $python)"
