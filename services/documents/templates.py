"""The templates in use: a deployment's own (``documents.templates`` in the policy) where it has
one for a kind, else the shipped one; each checked when the service starts, and rendered into
a .docx from a document's facts.

A template that names a field no document of its kind has (a misspelling), lacks one its kind
needs, or is not a readable .docx with valid template tags is refused with
:class:`TemplateError` naming the template and the field.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt
from docxtpl import DocxTemplate, InlineImage
from jinja2 import Environment
from jinja2 import TemplateError as JinjaError

from domain import documents as rules
from domain.documents import DocumentFacts, DocumentKind, Picture
from domain.errors import DubanError
from domain.i18n import N_
from domain.title_lines import title_capacity, title_lines
from services.documents.shipped import SHIPPED


class TemplateError(DubanError):
    """A document template cannot be used."""

    key = N_("Document template {template}: {reason}")
    status = 500


@dataclass(frozen=True)
class Templates:
    """The template file of each kind, every one checked."""

    paths: dict[DocumentKind, Path]

    def render(self, facts: DocumentFacts) -> bytes:
        """The .docx of ``facts`` (CPU-bound: call it in a worker thread)."""
        template = DocxTemplate(str(self.paths[facts.kind]))
        context = {
            name: _image(template, value) if isinstance(value, Picture) else value
            for name, value in facts.context().items()
        }
        template.render(context, _environment(), autoescape=True)
        _wrap_titles(template, context["issuer"])
        _fit_issuer(template, context["issuer"])
        out = io.BytesIO()
        template.save(out)
        return out.getvalue()


def _image(template: DocxTemplate, picture: Picture) -> InlineImage:
    return InlineImage(template, io.BytesIO(picture.data), width=Mm(picture.width_mm))


def _fit_issuer(template: DocxTemplate, issuer: str) -> None:
    """Make the issuing body's name (the masthead's run that says just that) small enough for
    one line, keeping the template's font and colour."""
    fit = Pt(rules.issuer_size_pt(issuer))
    for paragraph in template.docx.paragraphs:
        for run in paragraph.runs:
            size = run.font.size
            if run.text == issuer and size is not None and size > fit:
                run.font.size = fit


def _wrap_titles(template: DocxTemplate, issuer: str) -> None:
    """Break a title too long for one line into even lines (``domain.title_lines``) with
    explicit line breaks, so that no reader lays it out with a lone last character. A title is
    a centred paragraph all in the title's size (2号) that is not the issuing body's name."""
    title_size = Pt(rules.TITLE_PT)
    for paragraph in template.docx.paragraphs:
        runs = [run for run in paragraph.runs if run.text]
        if paragraph.alignment != WD_ALIGN_PARAGRAPH.CENTER or not runs:
            continue
        text = "".join(run.text for run in runs)
        if text == issuer or any(run.font.size != title_size for run in runs):
            continue
        lines = title_lines(text.replace("\n", ""), title_capacity())
        if len(lines) < 2:
            continue
        runs[0].text = "\n".join(lines)  # python-docx writes each "\n" as <w:br/>
        for run in runs[1:]:
            run._element.getparent().remove(run._element)


def _environment() -> Environment:
    return Environment(autoescape=True)


def load_templates(folder: str | Path | None, *, listed_urging: bool = False) -> Templates:
    """The templates to use, each checked: the deployment's ``folder`` first, then shipped.
    ``listed_urging`` (``documents.urging_per_unit``): the urging notice must list ``items``."""
    own = Path(folder) if folder else None
    if own is not None and not own.is_dir():
        raise TemplateError(template=str(own), reason="the folder does not exist")
    paths: dict[DocumentKind, Path] = {}
    for kind in DocumentKind:
        name = f"{kind.value}.docx"
        path = own / name if own is not None and (own / name).is_file() else SHIPPED / name
        used = check_template(kind, path)
        if kind is DocumentKind.URGING and listed_urging and "items" not in used:
            raise TemplateError(
                template=str(path),
                reason="missing field 'items' (documents.urging_per_unit lists a unit's items)",
            )
        paths[kind] = path
    return Templates(paths)


@cache
def shipped_templates() -> Templates:
    """The shipped templates, checked once per process."""
    return load_templates(None)


def check_template(kind: DocumentKind, path: Path) -> set[str]:
    """Refuse a template of ``kind`` at ``path`` that cannot be filled as that kind; the fields
    it uses."""
    try:
        used = DocxTemplate(str(path)).get_undeclared_template_variables(_environment())
    except JinjaError as exc:
        line = getattr(exc, "lineno", None)
        where = f" (tag {line})" if line else ""
        raise TemplateError(template=str(path), reason=f"bad template tag{where}: {exc}") from exc
    except Exception as exc:  # python-docx raises several kinds for a file that is no .docx
        raise TemplateError(template=str(path), reason=f"not a readable .docx ({exc})") from exc
    problem = rules.template_problem(kind, set(used))
    if problem is not None:
        raise TemplateError(template=str(path), reason=problem)
    return set(used)
