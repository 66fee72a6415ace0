"""A document title too long for one line, wrapped as GB/T 9704-2012 asks (7.3.3): "标题回行时，
要做到词意完整，排列对称，长短适宜，间距恰当，标题排列应当使用梯形或菱形" — lines of even length,
no lone character on the last line, no word cut, never a character lost.

Pure: :func:`title_lines` returns the lines; ``services/documents/templates.py`` writes them with
explicit line breaks into the rendered .docx.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from dataclasses import dataclass

from domain import documents as rules

# A break is best after these: a pause in the title's sense, the end of a quoted name, or the
# start of its subject.
_PAUSES = frozenset("，、；：！？,;:!?”’》）」』】〕")
_AFTER_WORDS = ("关于", "的")
# 禁则: never at the start of a line (closing marks) / at the end of one (opening marks).
_CLOSING = frozenset("，。、；：？！”’）》」』】〕〉…—,.;:?!)]}%")
_OPENING = frozenset("“‘（《「『【〔〈([{")
_LATIN_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.\-_/&+#]*")
_SHORTEST = 3.0  # a line narrower than three characters is a lone fragment

BEST_BREAK = 20.0  # a pause before a break: worth lines up to six characters uneven
PAUSE_BREAK = 8.0  # 关于 or 的 before a break: up to four characters uneven


@dataclass(frozen=True)
class _Token:
    text: str
    width: float
    space_before: bool  # a space precedes it: a break here drops that space
    bonus: float  # how good a break after this token is


def char_width(ch: str) -> float:
    """A character's width in full-width characters: 1 for Chinese, full-width forms, wide
    emoji and the ambiguous ones a Chinese font sets full width (“ ” — …), 0.5 for Latin and
    the rest, 0 for marks that join the one before."""
    if _joins(ch):
        return 0.0
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 0.5


def _joins(ch: str) -> bool:
    """A character that belongs to the one before it (a combining mark, a variation selector,
    an emoji modifier or joiner): never the first of a line."""
    code = ord(ch)
    return (
        unicodedata.combining(ch) != 0
        or unicodedata.category(ch) in ("Mn", "Me", "Cf")
        or 0xFE00 <= code <= 0xFE0F
        or 0xE0100 <= code <= 0xE01EF
        or 0x1F3FB <= code <= 0x1F3FF
    )


def _clusters(text: str) -> list[str]:
    """``text`` cut into what must stay together: a Latin word or number, a character with its
    joining marks (an emoji sequence joined by ZWJ stays whole)."""
    clusters: list[str] = []
    i = 0
    while i < len(text):
        word = _LATIN_WORD.match(text, i)
        if word is not None:
            clusters.append(word.group())
            i = word.end()
            continue
        j = i + 1
        while j < len(text) and (_joins(text[j]) or text[j - 1] == "\u200d"):
            j += 1
        clusters.append(text[i:j])
        i = j
    return clusters


def _tokens(title: str) -> list[_Token]:
    """The title's unbreakable pieces: clusters, with closing marks kept with what precedes
    them and opening marks (and ASCII quotes that open) with what follows."""
    pieces: list[list[str]] = []  # each: [text, space_before]
    spaced = False
    glue_next = False
    quotes = 0
    for cluster in _clusters(title):
        if cluster.isspace():
            spaced = bool(pieces)
            continue
        opening = cluster[0] in _OPENING
        closing = cluster[0] in _CLOSING
        if cluster in ('"', "'"):
            quotes += 1
            opening, closing = quotes % 2 == 1, quotes % 2 == 0
        if pieces and (glue_next or (closing and not spaced)):
            pieces[-1][0] += (" " if spaced else "") + cluster
        else:
            pieces.append([cluster, "1" if spaced else ""])
        glue_next, spaced = opening, False
    tokens = []
    for text, space in pieces:
        width = sum(char_width(ch) for ch in text)
        tokens.append(_Token(text, width, bool(space), _bonus(text)))
    return tokens


def _bonus(text: str) -> float:
    if text[-1] in _PAUSES:
        return BEST_BREAK
    if text.endswith(_AFTER_WORDS):
        return PAUSE_BREAK
    return 0.0


def _split_wide(tokens: list[_Token], capacity: float) -> list[_Token]:
    """A piece wider than a line (a very long Latin word) is the one thing cut: into pieces
    that fit, as Word itself would."""
    out: list[_Token] = []
    for token in tokens:
        if token.width <= capacity:
            out.append(token)
            continue
        part, width, first = "", 0.0, True
        for ch in token.text:
            if width + char_width(ch) > capacity and part and not _joins(ch):
                out.append(_Token(part, width, token.space_before and first, 0.0))
                part, width, first = "", 0.0, False
            part += ch
            width += char_width(ch)
        out.append(_Token(part, width, token.space_before and first, token.bonus))
    return out


def _line_width(tokens: list[_Token], start: int, end: int) -> float:
    spaces = sum(0.5 for t in tokens[start + 1 : end] if t.space_before)
    return sum(t.width for t in tokens[start:end]) + spaces


def title_lines(title: str, capacity: float) -> list[str]:
    """``title`` in lines of at most ``capacity`` full-width characters, as even as the breaks
    allow, preferring a break after a pause (，、：) or after 关于/的, no line under three
    characters where the title has more, never a Latin word cut unless it alone is wider than a
    line. Joined (a space where a break took one), the lines are the title."""
    tokens = _split_wide(_tokens(title.strip()), capacity)
    total = _line_width(tokens, 0, len(tokens))
    if total <= capacity or len(tokens) < 2:
        return [title.strip()] if title.strip() else []
    for count in range(max(math.ceil(total / capacity), 2), len(tokens) + 1):
        breaks = _best_breaks(tokens, count, capacity, total / count)
        if breaks is not None:
            return [_join(tokens[a:b]) for a, b in itertools.pairwise(breaks)]
    return [_join([t]) for t in tokens]


def _best_breaks(
    tokens: list[_Token], count: int, capacity: float, target: float
) -> list[int] | None:
    """The ends of ``count`` lines that fit and cost least (dynamic programming over where
    each line ends), or None when the title does not go into ``count`` lines."""
    n = len(tokens)
    best: list[dict[int, tuple[float, int]]] = [{0: (0.0, -1)}]
    for line in range(1, count + 1):
        row: dict[int, tuple[float, int]] = {}
        for start, (cost, _) in best[line - 1].items():
            for end in range(start + 1, n + 1):
                width = _line_width(tokens, start, end)
                if width > capacity:
                    break
                if (line == count) != (end == n):
                    continue
                bad = (width - target) ** 2
                if width < _SHORTEST:
                    bad += 1000.0
                if end < n:
                    bad -= tokens[end - 1].bonus
                if end not in row or cost + bad < row[end][0]:
                    row[end] = (cost + bad, start)
        best.append(row)
    if n not in best[count]:
        return None
    ends = [n]
    for line in range(count, 0, -1):
        ends.append(best[line][ends[-1]][1])
    return ends[::-1]


def _join(tokens: list[_Token]) -> str:
    return "".join((" " if t.space_before and i else "") + t.text for i, t in enumerate(tokens))


def title_capacity() -> int:
    """How many full-width characters of the 2号 title fit on one line of the text width (the
    title's characters keep the grid's spacing): 20 with the standard's numbers."""
    width_pt = rules.text_width_mm() / 25.4 * 72
    return math.floor(width_pt / (rules.TITLE_PT + rules.char_spacing_twips() / 20))
