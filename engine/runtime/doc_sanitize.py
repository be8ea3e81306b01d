"""Removing active content from BPMN ``<documentation>`` at deploy: script-like elements (as XML children or as
HTML written in the text), ``on*`` event attributes and ``javascript:``/``vbscript:`` URLs.

Documentation is shown to reviewers and auditors; whatever renders it, nothing in it can run. A diagram with
nothing to strip is stored byte for byte as uploaded, so redeploying it still creates no new version.
"""
from __future__ import annotations

import html
import re
from typing import Any

from lxml import etree

from engine.errors import DeployRejected
from engine.runtime.specs import SourceFile
from engine.runtime.xmlsafe import parse_untrusted_xml

ACTIVE_TAGS = ("script", "iframe", "object", "embed", "frame", "frameset", "applet", "base", "meta", "link", "style")
_TAGS = "|".join(ACTIVE_TAGS)
_ACTIVE_BLOCK = re.compile(rf"<\s*({_TAGS})\b.*?(?:<\s*/\s*\1\s*>|\Z)", re.IGNORECASE | re.DOTALL)
_ACTIVE_TAG = re.compile(rf"<\s*/?\s*({_TAGS})\b[^>]*>?", re.IGNORECASE)
_EVENT_ATTR = re.compile(r"""[\s/"']on[a-z]+\s*=\s*("[^"]*"|'[^']*'|[^\s>]*)""", re.IGNORECASE)
_SCRIPT_URL = re.compile(r"(?:java|vb|live)[\s\x00-\x1f]*script[\s\x00-\x1f]*:|data[\s\x00-\x1f]*:[^,]*html",
                         re.IGNORECASE)


def clean_text(text: str) -> str:
    """Documentation text as a reader's HTML renderer would see it, with everything active removed."""
    previous = None
    cleaned = html.unescape(text)
    while cleaned != previous:
        previous = cleaned
        cleaned = _ACTIVE_BLOCK.sub("", cleaned)
        cleaned = _ACTIVE_TAG.sub("", cleaned)
        cleaned = _EVENT_ATTR.sub(" ", cleaned)
        cleaned = _SCRIPT_URL.sub("", cleaned)
    return cleaned if cleaned != html.unescape(text) else text


def _local(element: Any) -> str:
    return element.tag.rsplit("}", 1)[-1].lower() if isinstance(element.tag, str) else ""


def _clean_element(documentation: Any) -> None:
    for child in list(documentation.iterdescendants()):
        if _local(child) in ACTIVE_TAGS and child.getparent() is not None:
            parent, tail = child.getparent(), child.tail or ""
            previous = child.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
            parent.remove(child)
    for node in documentation.iter():
        for name in list(node.attrib):
            value = node.attrib[name]
            if name.rsplit("}", 1)[-1].lower().startswith("on") or _SCRIPT_URL.search(html.unescape(value)):
                del node.attrib[name]
        if node.text:
            node.text = clean_text(node.text)
        if node is not documentation and node.tail:
            node.tail = clean_text(node.tail)


def sanitize_documentation(source: SourceFile) -> SourceFile:
    """``source`` with active content removed from every documentation element; unchanged when there is none
    (or when it does not parse: the deploy pipeline then refuses it with the reason)."""
    try:
        tree = parse_untrusted_xml(source.content, source.name)
    except (DeployRejected, etree.LxmlError, ValueError):
        return source
    before = etree.tostring(tree)
    for documentation in tree.getroot().iter():
        if _local(documentation) == "documentation":
            _clean_element(documentation)
    after = etree.tostring(tree)
    if after == before:
        return source
    return SourceFile(source.name, etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))
