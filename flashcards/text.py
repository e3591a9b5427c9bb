"""Card text made safe to print: terminal control characters are shown, never obeyed."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe_text(text: str) -> str:
    """``\\x1b[31m`` stays visible as text instead of turning the terminal red."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
