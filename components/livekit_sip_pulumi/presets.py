"""Higher-level components: phone provider presets and a complete agent phone line.

Presets know the shape of each provider's outbound SIP host and the auth it needs, and refuse
values known not to work (for example a Telnyx subdomain, which Telnyx answers with 503), so
the mistake surfaces when the program runs rather than on the first call.

:class:`AgentPhoneLine` wires an inbound trunk, a dispatch rule that sends every call to a
named agent, and optionally an outbound trunk from a preset, with region pinning where the
numbers require it.
"""

from __future__ import annotations

import inspect
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pulumi
from livekit_sip_core import (
    COMPONENT_PACKAGE,
    LIVEKIT_CLOUD_SIP_DOMAIN,
    PASSWORD_FIELD,
    PLIVO,
    REQUIRED_REGION_PINS,
    TELNYX,
    TELNYX_HOSTS,
    TWILIO,
    WAVIX,
    RegionPin,
    region_pin_of,
    sip_region_problem,
)
from livekit_sip_core.links import REGION_PINNING_DOC as DOCS_REGIONS
from pulumi import Input, Output, ResourceOptions

from .errors import InputError, SpecError
from .inputs import resource_label
from .resources import (
    RoomAgentDispatchArgs,
    RoomConfigurationArgs,
    RuleInput,
    SipDispatchRule,
    SipDispatchRuleArgs,
    SipDispatchRuleIndividualArgs,
    SipInboundTrunk,
    SipInboundTrunkArgs,
    SipOutboundTrunk,
    SipOutboundTrunkArgs,
)
from .specs import DOCS_INBOUND, DOCS_OUTBOUND, ErrorType, SipTransport, quote

__all__ = [
    "REQUIRED_REGION_PINS",
    "AgentPhoneLine",
    "AgentPhoneLineArgs",
    "OutboundPreset",
    "PlivoOutbound",
    "ProviderOutboundTrunk",
    "RegionPin",
    "TelnyxOutbound",
    "TwilioOutbound",
    "WavixOutbound",
    "inbound_sip_host",
    "required_region_pin",
]


# --- region pinning ------------------------------------------------------------------------------


def required_region_pin(numbers: Iterable[Any]) -> RegionPin | None:
    """The region pin the numbers require, or None. Values that are not plain strings (Pulumi
    Outputs) are skipped: pin those lines explicitly.

    Raises :class:`SpecError` when the numbers need different regions.
    """
    pins: dict[str, RegionPin] = {}
    for number in numbers:
        if not isinstance(number, str):
            continue
        pin = region_pin_of(number)
        if pin is not None:
            pins[pin.inbound_region] = pin
    if len(pins) > 1:
        raise SpecError(
            "agent phone line",
            [
                (
                    "numbers",
                    f"these numbers need different regions ({', '.join(sorted(pins))}): "
                    "put each region's numbers in its own phone line. See "
                    f"{DOCS_REGIONS}",
                )
            ],
        )
    return next(iter(pins.values()), None)


_SUBDOMAIN = re.compile(r"[a-z0-9][a-z0-9-]*")


def inbound_sip_host(sip_subdomain: str, region: str | None = None) -> str:
    """The host a phone provider sends calls to: ``{subdomain}.sip.livekit.cloud``, or
    ``{subdomain}.{region}.sip.livekit.cloud`` when the line is pinned to a region."""
    if not isinstance(sip_subdomain, str) or not _SUBDOMAIN.fullmatch(sip_subdomain):
        raise SpecError(
            "agent phone line",
            [
                (
                    "sip_subdomain",
                    f"{quote(sip_subdomain)} is not a SIP subdomain: give only the first "
                    "label of your project's SIP URI (the part before "
                    f"'.{LIVEKIT_CLOUD_SIP_DOMAIN}', shown in the LiveKit console). See "
                    f"{DOCS_INBOUND}",
                )
            ],
        )
    return ".".join([sip_subdomain, *([region] if region else []), LIVEKIT_CLOUD_SIP_DOMAIN])


# --- provider presets ----------------------------------------------------------------------------


def _known(value: Any) -> str | None:
    """A plain string value, or None when it is a Pulumi Output (checked by the provider)."""
    return value if isinstance(value, str) else None


def _strip_scheme(value: str) -> str:
    return re.sub(r"^sips?:", "", value, flags=re.IGNORECASE).split(";")[0].split("@")[-1]


class OutboundPreset(ABC):
    """A phone provider's outbound settings; turns into :class:`SipOutboundTrunkArgs`.

    Subclasses validate in ``__post_init__`` and raise :class:`SpecError` naming the field and
    the fix. Secrets (``auth_password``) are never echoed.
    """

    provider: ClassVar[str]
    docs_url: ClassVar[str]

    auth_username: Input[str]
    auth_password: Input[str]
    transport: SipTransport

    @property
    @abstractmethod
    def address(self) -> str:
        """The provider's SIP host for outbound calls."""

    def headers(self) -> dict[str, Input[str]]:
        """Headers the provider expects on every call."""
        return {}

    def _fail(self, field: str, message: str, code: str = "preset") -> None:
        raise InputError(
            type(self).__name__,
            f"{self.provider} outbound trunk",
            [(field, f"{message}. See {self.docs_url}", code)],
        )

    def _require_strings(self, *names: str) -> None:
        for name in names:
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                self._fail(name, f"must be a string, not {type(value).__name__}", "string_type")

    def _require_auth(self) -> None:
        if self.auth_username is None or _known(self.auth_username) == "":
            self._fail(
                "auth_username",
                f"{self.provider} needs the SIP user name of your credentials for outbound calls",
            )
        if self.auth_password is None or _known(self.auth_password) == "":
            self._fail(
                PASSWORD_FIELD,
                f"{self.provider} needs the SIP password of your credentials for outbound calls",
            )

    def outbound_trunk_args(
        self,
        numbers: Input[Sequence[Input[str]]],
        *,
        name: Input[str] | None = None,
        destination_country: Input[str] | None = None,
    ) -> SipOutboundTrunkArgs:
        """Args of an outbound trunk calling from ``numbers`` through this provider.

        ``destination_country`` defaults to the region the numbers require (``in`` for +91).
        """
        if destination_country is None and isinstance(numbers, (list, tuple)):
            pin = required_region_pin(numbers)
            destination_country = pin.destination_country if pin else None
        numbers_input: Any = list(numbers) if isinstance(numbers, (list, tuple)) else numbers
        return SipOutboundTrunkArgs(
            address=self.address,
            numbers=numbers_input,
            name=name,
            destination_country=destination_country,
            transport=self.transport,
            auth_username=self.auth_username,
            auth_password=self.auth_password,
            headers=self.headers() or None,
        )


@dataclass(frozen=True)
class TelnyxOutbound(OutboundPreset):
    """Telnyx, with a credential connection (digest user and password).

    ``region`` picks ``sip.telnyx.com`` (``us``, default) or ``sip-eu.telnyx.com`` (``eu``).
    Telnyx identifies the connection by the credentials, never by a subdomain. Also enable SIP
    REFER on the connection if the agent transfers calls (otherwise transfers end in 408).
    """

    provider: ClassVar[str] = TELNYX.name
    docs_url: ClassVar[str] = TELNYX.docs_url
    HOSTS: ClassVar[dict[str, str]] = TELNYX_HOSTS

    auth_username: Input[str]
    auth_password: Input[str]
    region: str = "us"
    host: str | None = None
    transport: SipTransport = SipTransport.SIP_TRANSPORT_AUTO
    send_username_header: bool = True

    def __post_init__(self) -> None:
        self._require_strings("region", "host")
        self._require_auth()
        if self.region not in self.HOSTS:
            self._fail(
                "region",
                f"{quote(self.region)} is not a Telnyx SIP region: use "
                + " or ".join(f"'{region}' ({host})" for region, host in self.HOSTS.items()),
            )
        if self.host is not None:
            host = _strip_scheme(self.host).lower().split(":")[0]
            if host != self.host.lower().split(":")[0]:
                self._fail("host", f"{quote(self.host)} is a SIP URI: write the bare host '{host}'")
            problem = TELNYX.host_problem(host)
            if problem:
                self._fail("host", f"{quote(self.host)} {problem}")

    @property
    def address(self) -> str:
        return self.host if self.host is not None else self.HOSTS[self.region]

    def headers(self) -> dict[str, Input[str]]:
        return {"X-Telnyx-Username": self.auth_username} if self.send_username_header else {}


@dataclass(frozen=True)
class TwilioOutbound(OutboundPreset):
    """Twilio Elastic SIP Trunking: ``termination_uri`` is the trunk's Termination SIP URI,
    ``<name>.pstn.twilio.com`` (or localized ``<name>.pstn.<edge>.twilio.com``); the user name
    and password are those of the credential list attached to the trunk."""

    provider: ClassVar[str] = TWILIO.name
    docs_url: ClassVar[str] = TWILIO.docs_url

    termination_uri: str
    auth_username: Input[str]
    auth_password: Input[str]
    transport: SipTransport = SipTransport.SIP_TRANSPORT_AUTO

    def __post_init__(self) -> None:
        self._require_strings("termination_uri")
        self._require_auth()
        host = _strip_scheme(self.termination_uri).lower()
        if host != self.termination_uri.lower():
            self._fail(
                "termination_uri",
                f"{quote(self.termination_uri)} is a SIP URI: write the bare host '{host}'",
            )
        problem = TWILIO.host_problem(host)
        if problem:
            self._fail("termination_uri", f"{quote(self.termination_uri)} {problem}")

    @property
    def address(self) -> str:
        return self.termination_uri.lower()


_PLIVO_USER = re.compile(r"[A-Za-z0-9]{5,20}")


@dataclass(frozen=True)
class PlivoOutbound(OutboundPreset):
    """Plivo Zentrunk: ``trunk_domain`` is ``<trunk_id>.zt.plivo.com``; the user name is 5-20
    letters or digits, the password 5-20 characters with at least one special character."""

    provider: ClassVar[str] = PLIVO.name
    docs_url: ClassVar[str] = PLIVO.docs_url

    trunk_domain: str
    auth_username: Input[str]
    auth_password: Input[str]
    transport: SipTransport = SipTransport.SIP_TRANSPORT_AUTO

    def __post_init__(self) -> None:
        self._require_strings("trunk_domain")
        self._require_auth()
        host = _strip_scheme(self.trunk_domain).lower()
        if not PLIVO.serves(host) or host != self.trunk_domain.lower():
            self._fail(
                "trunk_domain",
                f"{quote(self.trunk_domain)} is not a Plivo Zentrunk domain: "
                f"write the bare host {PLIVO.expected} from the Plivo console",
            )
        user = _known(self.auth_username)
        if user is not None and not _PLIVO_USER.fullmatch(user):
            self._fail("auth_username", "Plivo user names are 5-20 letters or digits")
        password = _known(self.auth_password)
        if password is not None and not (
            5 <= len(password) <= 20 and re.search(r"[^A-Za-z0-9]", password)
        ):
            # Never echo the password itself.
            self._fail(
                PASSWORD_FIELD,
                "Plivo passwords are 5-20 characters with at least one special character",
            )

    @property
    def address(self) -> str:
        return self.trunk_domain.lower()


@dataclass(frozen=True)
class WavixOutbound(OutboundPreset):
    """Wavix: ``country`` picks the regional host ``<cc>.wavix.net`` (e.g. ``us``); the user
    name is the 5-digit SIP trunk ID and the password that trunk's password."""

    provider: ClassVar[str] = WAVIX.name
    docs_url: ClassVar[str] = WAVIX.docs_url

    auth_username: Input[str]
    auth_password: Input[str]
    country: str = "us"
    transport: SipTransport = SipTransport.SIP_TRANSPORT_AUTO

    def __post_init__(self) -> None:
        self._require_strings("country")
        self._require_auth()
        if not WAVIX.serves(f"{self.country}.{WAVIX.domain}"):
            self._fail(
                "country",
                f"{quote(self.country)} is not a Wavix gateway: use a two-letter "
                f"lowercase code such as 'us' (us.{WAVIX.domain})",
            )
        user = _known(self.auth_username)
        if user is not None and not re.fullmatch(r"[0-9]{5}", user):
            self._fail(
                "auth_username",
                f"{quote(user)} is not a Wavix SIP trunk ID: Wavix user names "
                "are the 5-digit trunk ID (e.g. '12345')",
            )

    @property
    def address(self) -> str:
        return f"{self.country}.{WAVIX.domain}"


class ProviderOutboundTrunk(pulumi.ComponentResource):
    """An outbound trunk for one phone provider, from a preset.

    ``name`` is the trunk's name in LiveKit; without it the trunk gets its autoname
    (``<resource name>-<7 hex>``, different in every stack), so one program can be deployed as
    several stacks of one LiveKit project. A trunk created by an earlier release, which named
    it after the resource, keeps the name its state records: the next ``up`` changes nothing.

    Example::

        ProviderOutboundTrunk("telnyx", TelnyxOutbound(auth_username="acme",
                              auth_password=config.require_secret("telnyxPassword")),
                              numbers=["+15105550100"])
    """

    trunk: SipOutboundTrunk
    sip_trunk_id: Output[str]

    def __init__(
        self,
        resource_name: str,
        preset: OutboundPreset,
        numbers: Input[Sequence[Input[str]]],
        *,
        destination_country: Input[str] | None = None,
        name: Input[str] | None = None,
        opts: ResourceOptions | None = None,
    ) -> None:
        label = resource_label("ProviderOutboundTrunk", resource_name)
        if not isinstance(preset, OutboundPreset):
            raise _component_error(
                label,
                "preset",
                "must be a provider preset (TelnyxOutbound, TwilioOutbound, PlivoOutbound, "
                f"WavixOutbound), not {type(preset).__name__}",
                ErrorType.ARGUMENTS,
                DOCS_OUTBOUND,
            )
        _check_numbers(label, numbers)
        try:
            args = preset.outbound_trunk_args(
                numbers, name=name, destination_country=destination_country
            )
        except SpecError as exc:
            raise _as_input_error(label, exc) from None
        super().__init__(
            f"{COMPONENT_PACKAGE}:index:ProviderOutboundTrunk", resource_name, None, opts
        )
        self.trunk = SipOutboundTrunk(resource_name, args, ResourceOptions(parent=self))
        self.sip_trunk_id = self.trunk.sip_trunk_id
        self.register_outputs({"sip_trunk_id": self.sip_trunk_id})


# --- agent phone line ----------------------------------------------------------------------------


@dataclass
class AgentPhoneLineArgs:
    """Inputs of :class:`AgentPhoneLine`.

    - ``numbers``: the phone numbers callers dial, in E.164 (``+15105550100``).
    - ``agent_name``: the ``agent_name`` the agent worker registers with; it answers every call.
    - ``allowed_addresses`` / ``auth_username`` + ``auth_password``: how LiveKit recognizes the
      provider's INVITEs (IPs/CIDRs, or digest credentials); numbers alone also work.
    - ``hide_phone_number``: keep callers' numbers out of room names and participant identities.
    - ``room_prefix``: prefix of the per-call rooms. ``rule`` replaces the default rule
      (a new room per call) with any ``SipDispatchRule*Args`` or a protocol dict.
    - ``krisp_enabled``: noise cancellation on the trunk and the rule (on by default).
    - ``outbound``: a provider preset to also create an outbound trunk for the same numbers.
    - ``region`` / ``destination_country``: the inbound SIP region and outbound country; both
      default to what the numbers require (``india`` / ``in`` for +91) and are otherwise unset.
    - ``sip_subdomain``: the project's SIP subdomain (default: stack config
      ``livekit:sipSubdomain``), used for the ``sip_uri`` output.
    - ``name``: the name of the line's objects in LiveKit (the inbound trunk, the dispatch
      rule and the outbound trunk all get it); unset, each gets its autoname
      (``<line>-inbound-<7 hex>``, ...), different in every stack.
    """

    numbers: Sequence[Input[str]]
    agent_name: Input[str]
    agent_metadata: Input[str] | None = None
    allowed_addresses: Input[list[Input[str]]] | None = None
    auth_username: Input[str] | None = None
    auth_password: Input[str] | None = None
    hide_phone_number: Input[bool] = False
    room_prefix: Input[str] = "call-"
    rule: RuleInput | None = None
    krisp_enabled: Input[bool] = True
    outbound: OutboundPreset | None = None
    region: str | None = None
    destination_country: str | None = None
    sip_subdomain: Input[str] | None = None
    name: Input[str] | None = None


class AgentPhoneLine(pulumi.ComponentResource):
    """Phone numbers answered by a LiveKit agent: an inbound trunk for the numbers, a dispatch
    rule that dispatches the agent into a new room per call, and optionally an outbound trunk
    so the agent can call out from the same numbers.

    Outputs: ``inbound_trunk_id``, ``dispatch_rule_id``, ``outbound_trunk_id`` (None without
    ``outbound``), ``region``, ``destination_country`` and ``sip_uri``, the host to enter as
    the origination/destination URI at the phone provider.

    Example::

        line = AgentPhoneLine("support", AgentPhoneLineArgs(
            numbers=["+15105550100"], agent_name="support-agent",
            outbound=TelnyxOutbound(auth_username="acme",
                                    auth_password=config.require_secret("telnyxPassword"))))
        pulumi.export("sip_uri", line.sip_uri)
    """

    #: The classes of the line's objects and the config namespace of ``sipSubdomain``: the
    #: dynamic resources and ``livekit:`` here; the provider plugin's AgentPhoneLine (construct)
    #: declares its own resource types with the same arguments, and reads ``livekit-sip:``.
    _inbound_trunk_class: ClassVar[Any] = SipInboundTrunk
    _dispatch_rule_class: ClassVar[Any] = SipDispatchRule
    _outbound_trunk_class: ClassVar[Any] = SipOutboundTrunk
    _config_namespace: ClassVar[str] = "livekit"

    inbound_trunk: SipInboundTrunk
    dispatch_rule: SipDispatchRule
    outbound_trunk: SipOutboundTrunk | None
    inbound_trunk_id: Output[str]
    dispatch_rule_id: Output[str]
    outbound_trunk_id: Output[str] | None
    region: str | None
    destination_country: str | None
    sip_uri: Output[str] | None

    def __init__(
        self,
        resource_name: str,
        args: AgentPhoneLineArgs,
        opts: ResourceOptions | None = None,
    ) -> None:
        label = resource_label("AgentPhoneLine", resource_name)
        _check_line_args(label, args)
        try:
            region, destination_country = _pinning(args)
        except SpecError as exc:
            raise _as_input_error(label, exc) from None
        subdomain = args.sip_subdomain
        if subdomain is None:
            subdomain = pulumi.Config(self._config_namespace).get("sipSubdomain")
        if isinstance(subdomain, str):
            try:
                inbound_sip_host(subdomain, region)
            except SpecError as exc:
                raise _as_input_error(label, exc) from None
        super().__init__(f"{COMPONENT_PACKAGE}:index:AgentPhoneLine", resource_name, None, opts)
        self.region, self.destination_country = region, destination_country
        child = ResourceOptions(parent=self)

        self.inbound_trunk = self._inbound_trunk_class(
            f"{resource_name}-inbound",
            SipInboundTrunkArgs(
                numbers=list(args.numbers),
                name=args.name,
                allowed_addresses=args.allowed_addresses,
                auth_username=args.auth_username,
                auth_password=args.auth_password,
                krisp_enabled=args.krisp_enabled,
            ),
            child,
        )
        self.dispatch_rule = self._dispatch_rule_class(
            f"{resource_name}-dispatch",
            SipDispatchRuleArgs(
                rule=args.rule
                if args.rule is not None
                else SipDispatchRuleIndividualArgs(room_prefix=args.room_prefix),
                trunk_ids=[self.inbound_trunk.sip_trunk_id],
                name=args.name,
                hide_phone_number=args.hide_phone_number,
                room_config=RoomConfigurationArgs(
                    agents=[RoomAgentDispatchArgs(args.agent_name, args.agent_metadata)]
                ),
                krisp_enabled=args.krisp_enabled,
            ),
            child,
        )
        self.outbound_trunk = None
        if args.outbound is not None:
            self.outbound_trunk = self._outbound_trunk_class(
                f"{resource_name}-outbound",
                args.outbound.outbound_trunk_args(
                    list(args.numbers),
                    name=args.name,
                    destination_country=self.destination_country,
                ),
                child,
            )

        self.inbound_trunk_id = self.inbound_trunk.sip_trunk_id
        self.dispatch_rule_id = self.dispatch_rule.sip_dispatch_rule_id
        self.outbound_trunk_id = (
            self.outbound_trunk.sip_trunk_id if self.outbound_trunk is not None else None
        )
        self.sip_uri = _sip_uri(
            subdomain, self.region, resource_name, self, namespace=self._config_namespace
        )
        self.register_outputs(
            {
                "inbound_trunk_id": self.inbound_trunk_id,
                "dispatch_rule_id": self.dispatch_rule_id,
                "outbound_trunk_id": self.outbound_trunk_id,
                "region": self.region,
                "destination_country": self.destination_country,
                "sip_uri": self.sip_uri,
            }
        )


def _pinning(args: AgentPhoneLineArgs) -> tuple[str | None, str | None]:
    """(inbound region, outbound destination_country): explicit values, checked against what
    the numbers require, or what they require."""
    pin = required_region_pin(args.numbers)
    region, country = args.region, args.destination_country
    if pin is not None:
        if region is not None and region != pin.inbound_region:
            raise SpecError(
                "agent phone line",
                [
                    (
                        "region",
                        f"{quote(region)} cannot serve these numbers: {pin.reason}. Set "
                        f"region='{pin.inbound_region}' or leave it unset. See {DOCS_REGIONS}",
                    )
                ],
            )
        if country is not None and country != pin.destination_country:
            raise SpecError(
                "agent phone line",
                [
                    (
                        "destination_country",
                        f"{quote(country)} cannot serve these numbers: {pin.reason}. "
                        f"Set destination_country='{pin.destination_country}' or "
                        f"leave it unset. See {DOCS_REGIONS}",
                    )
                ],
            )
        region, country = pin.inbound_region, pin.destination_country
    problem = None if region is None else sip_region_problem(region)
    if problem is not None:
        raise SpecError(
            "agent phone line", [("region", f"{problem.message}. See {DOCS_REGIONS}", problem.code)]
        )
    return region, country


def _sip_uri(
    sip_subdomain: Input[str] | None,
    region: str | None,
    resource_name: str,
    parent: pulumi.Resource,
    namespace: str = "livekit",
) -> Output[str] | None:
    subdomain = sip_subdomain
    if subdomain is None:
        pulumi.log.warn(
            f"AgentPhoneLine '{resource_name}': no SIP subdomain, so no sip_uri output. Set it "
            f"with `pulumi config set {namespace}:sipSubdomain <subdomain>` (the first label of "
            "the SIP URI in the LiveKit console) or pass sip_subdomain.",
            resource=parent,
        )
        return None
    label = resource_label("AgentPhoneLine", resource_name)

    def host(value: str) -> str:
        # An Output subdomain is only known now: a bad one fails the run as a clean error.
        try:
            return inbound_sip_host(value, region)
        except SpecError as exc:
            raise _as_input_error(label, exc) from None

    return Output.from_input(subdomain).apply(host)


def _as_input_error(label: str, error: SpecError) -> InputError:
    """A SpecError raised while a component is being declared, as the clean InputError."""
    if isinstance(error, InputError):
        return error
    return InputError(label, error.kind, error.details)


def _component_error(label: str, field: str, message: str, code: str, docs_url: str) -> InputError:
    return InputError(label, "agent phone line", [(field, f"{message}. See {docs_url}", code)])


def _check_numbers(label: str, numbers: Any) -> None:
    """Numbers must be a list (or an Output of one): a string would be split into characters,
    and a set declares its entries in a different order on every run."""
    if isinstance(numbers, str):
        raise _component_error(
            label,
            "numbers",
            f"must be a list of numbers, not one string: write [{quote(numbers)}]",
            "list_type",
            DOCS_INBOUND,
        )
    if isinstance(numbers, (set, frozenset)):
        raise _component_error(
            label,
            "numbers",
            "a set has no order, so every run would declare the numbers in another order: pass "
            "a list (e.g. sorted(...))",
            "list_type",
            DOCS_INBOUND,
        )
    if not isinstance(numbers, (list, tuple, Output)) and not inspect.isawaitable(numbers):
        raise _component_error(
            label,
            "numbers",
            f"must be a list of numbers in E.164, not {type(numbers).__name__}",
            "list_type",
            DOCS_INBOUND,
        )


def _check_line_args(label: str, args: Any) -> None:
    """The arguments of an AgentPhoneLine that are used in the program itself."""
    if not isinstance(args, AgentPhoneLineArgs):
        got = "a dict" if isinstance(args, Mapping) else type(args).__name__
        raise _component_error(
            label,
            "args",
            f"must be AgentPhoneLineArgs(...), not {got}",
            ErrorType.ARGUMENTS,
            DOCS_INBOUND,
        )
    _check_numbers(label, args.numbers)
    if args.outbound is not None and not isinstance(args.outbound, OutboundPreset):
        raise _component_error(
            label,
            "outbound",
            "must be a provider preset (TelnyxOutbound, TwilioOutbound, PlivoOutbound, "
            f"WavixOutbound) or None, not {type(args.outbound).__name__}",
            ErrorType.ARGUMENTS,
            DOCS_OUTBOUND,
        )
    for name in ("region", "destination_country"):
        value = getattr(args, name)
        if value is not None and not isinstance(value, str):
            raise _component_error(
                label,
                name,
                f"must be a string, not {type(value).__name__}",
                "string_type",
                DOCS_REGIONS,
            )
