"""Progress bars that suit where the code runs.

``tqdm.auto`` draws a widget in Jupyter when ``ipywidgets`` is installed and otherwise
warns (``TqdmWarning: IProgress not found``) before falling back to text. The project's
notebooks run under papermill, whose executed copies keep text best, so without
``ipywidgets`` the text bar is used directly, with no warning.
"""

from __future__ import annotations

import importlib.util
from typing import Any


def progress_bar(*args: Any, **kwargs: Any):
    """A ``tqdm`` bar: the notebook widget where ``ipywidgets`` is installed, else text.

    Takes the arguments of ``tqdm.tqdm`` (an iterable, ``total``, ``desc``, ``unit``,
    ``disable``, ...).
    """
    if importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm(*args, **kwargs)
