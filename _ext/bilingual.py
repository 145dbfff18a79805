"""Sphinx extension: put a notebook markdown cell's ``lang-xx`` tag on the HTML it produces.

myst-nb gives a *code* cell the CSS class ``tag_<name>`` for each of its tags, but a
*markdown* cell is rendered as a pass-through: its nodes are appended to the document with
no trace of the cell's metadata.  The language switcher in ``_static/lang.js`` needs to know
which paragraphs are English and which are Chinese, so we wrap myst-nb's markdown-cell
renderer: after a tagged cell has rendered, every node it created gets ``tag_lang-xx``.

A heading is the exception.  It opens a docutils ``section`` that also holds the cells that
follow it (which may be shared code, or the other language), so we never hide a whole
section: we put the class on the section's *title* and on the cell's own nodes inside it.
"""

from __future__ import annotations

from docutils import nodes
from myst_nb.sphinx_ import SphinxNbRenderer

LANG_TAGS = ("lang-en", "lang-zh")


def _lang_class(token) -> str | None:
    tags = token.meta.get("metadata", {}).get("tags", [])
    langs = [tag for tag in tags if tag in LANG_TAGS]
    if len(langs) > 1:
        raise ValueError(f"a markdown cell has both language tags: {langs}")
    return f"tag_{langs[0]}" if langs else None


def _tag(node: nodes.Element, css_class: str, new_ids: set[int]) -> None:
    """Tag ``node``; for a section, tag its title and this cell's nodes inside it."""
    if isinstance(node, nodes.section):
        for child in node.children:
            if isinstance(child, nodes.Element) and id(child) in new_ids:
                if isinstance(child, nodes.title):
                    child["classes"].append(css_class)
                else:
                    _tag(child, css_class, new_ids)
    else:
        node["classes"].append(css_class)


_original_render = SphinxNbRenderer.render_nb_cell_markdown


def render_nb_cell_markdown(self, token) -> None:
    css_class = _lang_class(token)
    if css_class is None:
        _original_render(self, token)
        return
    before = {id(node) for node in self.document.findall(nodes.Element)}
    _original_render(self, token)
    created = [node for node in self.document.findall(nodes.Element) if id(node) not in before]
    new_ids = {id(node) for node in created}
    for node in created:
        if id(node.parent) not in new_ids:  # the top of what this cell created
            _tag(node, css_class, new_ids)


def setup(app):
    SphinxNbRenderer.render_nb_cell_markdown = render_nb_cell_markdown
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
