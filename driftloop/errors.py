"""driftloop's exceptions: the public import path of the one tree defined in :mod:`schemas.errors`.

``from driftloop.errors import X`` works for every class of the tree; its docstring draws it.
"""

from schemas.errors import *  # noqa: F403 - the whole tree, see schemas.errors.__all__
from schemas.errors import __all__ as __all__
