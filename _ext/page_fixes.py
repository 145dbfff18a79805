"""Sphinx extension: small repairs to what the theme stack puts on every page.

sphinx-thebe registers its inline configuration script once per reading pass; with
sphinxcontrib-bibtex the sources are read twice, so every page declared
``const THEBE_JS_URL`` twice and the browser reported a SyntaxError (sphinx-togglebutton's
selector was doubled the same way). We keep the first copy of each inline script.
"""

from __future__ import annotations


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        # the second registration names no file as None, the first as "": same script
        key = (getattr(script, "filename", None) or "", repr(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _drop_duplicate_scripts)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
