"""The demo stack's program (Pulumi.yaml beside this file): the quickstart, examples/quickstart.

Pulumi runs a project's dynamic providers from the folder named by `main`, but resolves the
`virtualenv` option from the project folder; a program in this folder keeps both the same.
"""

import runpy
from pathlib import Path

QUICKSTART = Path(__file__).parent / "examples" / "quickstart" / "__main__.py"
runpy.run_path(str(QUICKSTART), run_name="__main__")
