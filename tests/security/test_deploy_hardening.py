"""Hostile BPMN uploads are refused with a clear message and leave nothing behind (T-XML-01..09).

Every attack goes through both public entry points: ``engine.deploy.deploy`` and ``baguan deploy PATH``.
"""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator

import pytest
from lxml import etree
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

import forms as form_lib
from engine.errors import DeployRejected
from engine.runtime import deploy as deployment
from engine.runtime.specs import SourceFile, compile_bundle
from engine.runtime.xmlsafe import parse_untrusted_xml

from ..conftest import PROJECT_ROOT
from . import samples
from .helpers import assert_clean_failure, database_text, run_cli, stored_counts

CANARY_TEXT = "CANARY-7f3a9c-SECRET-FILE-CONTENT"
FORMS = form_lib.load_forms()
ANNUAL_PLAN_BPMN = (PROJECT_ROOT / "workflows" / "annual_plan.bpmn").read_text(encoding="utf-8")


@dataclass
class Target:
    canary: Path
    dtd: Path
    url: str
    hits: list[str]


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.hits.append(self.path)
        body = f'<!ENTITY leak "{CANARY_TEXT}">'.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        return


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Target]:
    """A canary file, a DTD that would leak it, and a loopback listener that counts every fetch."""
    canary = tmp_path / "canary.txt"
    canary.write_text(CANARY_TEXT)
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY leak SYSTEM "file://{canary}">')
    hits: list[str] = []
    handler = type("Recorder", (_Recorder,), {"hits": hits})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Target(canary, dtd, f"http://127.0.0.1:{server.server_address[1]}", hits)
    server.shutdown()
    server.server_close()


def _bytes(document: str | bytes) -> bytes:
    return document.encode("utf-8") if isinstance(document, str) else document


Build = Callable[[Target], "str | bytes"]
XML_ATTACKS: dict[str, tuple[Build, str]] = {
    "xxe_local_file": (lambda t: samples.xxe_file(t.canary), "DOCTYPE"),
    "external_dtd_file": (lambda t: samples.external_dtd(f"file://{t.dtd}"), "DOCTYPE"),
    "external_dtd_http": (lambda t: samples.external_dtd(f"{t.url}/evil.dtd"), "DOCTYPE"),
    "parameter_entity_file": (lambda t: samples.parameter_entity(f"file://{t.dtd}"), "DOCTYPE"),
    "parameter_entity_http": (lambda t: samples.parameter_entity(f"{t.url}/evil.dtd"), "DOCTYPE"),
    "billion_laughs": (lambda t: samples.billion_laughs(), "XML 格式错误"),
    "quadratic_blowup": (lambda t: samples.quadratic_blowup(), "XML 格式错误"),
    "utf16_doctype": (lambda t: samples.utf16_doctype(t.canary), "DOCTYPE"),
    "oversized_file": (lambda t: samples.oversized(), "文件过大"),
    "too_many_elements": (lambda t: samples.too_many_elements(), "元素过多"),
    "truncated_xml": (lambda t: samples.truncated(), "XML 格式错误"),
    "duplicate_ids": (lambda t: samples.duplicate_ids(), "'draft'"),
    "no_start_event": (lambda t: samples.no_start_event(), "start event"),
    "wrong_namespace": (lambda t: samples.wrong_namespace(), "BPMN 校验失败"),
    "gzip_bytes": (lambda t: samples.gzipped(), "XML 格式错误"),
    "xinclude_local_file": (lambda t: samples.xinclude(t.canary), "BPMN 校验失败"),
    "utf16_without_doctype": (lambda t: samples.utf16_without_doctype(), "UTF-8"),
    "deep_nesting": (lambda t: samples.deep_nesting(), "XML 格式错误"),
    "cycle_without_gateway": (lambda t: samples.cycle_without_gateway(), "不经过网关的循环"),
}

EXPRESSION_ATTACKS: dict[str, tuple[str, str]] = {
    "condition_import_system": (samples.process(samples.gateway("__import__('os').system('touch /tmp/pwned') == 0")),
                                "gw"),
    "condition_subclass_walk": (samples.process(samples.gateway("len(().__class__.__base__.__subclasses__()) > 0")),
                                "gw"),
    "condition_attribute_access": (samples.process(samples.gateway("amount.real > 0")), "gw"),
    "condition_lambda": (samples.process(samples.gateway("(lambda: True)()")), "gw"),
    "condition_comprehension": (samples.process(samples.gateway("[x for x in items] == []")), "gw"),
    "condition_syntax_error": (samples.process(samples.gateway("amount >")), "gw"),
    "script_import": (samples.process(samples.script_task("import os\nresult = os.getuid()")), "calc"),
    "script_open_file": (samples.process(samples.script_task("secret = open('/etc/passwd').read()")), "calc"),
    "timer_dunder": (samples.process(samples.timer("__import__('os').getenv('HOME')")), "wait"),
    "pre_script": (samples.pre_script("import subprocess"), "draft"),
    "user_task_outside_role_lane": (samples.process(review_lane="随便什么人"), "review"),
    "user_task_without_lanes": (samples.without_lanes(), "draft"),
    "unknown_form_key": (samples.unknown_form(), "draft"),
}


def _refuse_through_engine(sessions: sessionmaker[Session], content: bytes) -> str:
    with sessions() as session:
        with pytest.raises(DeployRejected) as refused:
            with session.begin():
                deployment.deploy(session, [SourceFile("evil.bpmn", content)], [], FORMS)
    return str(refused.value)


def _refuse_through_cli(db_url: str, tmp_path: Path, content: bytes) -> str:
    path = tmp_path / "upload" / "evil.bpmn"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content)
    line = assert_clean_failure(run_cli(db_url, "deploy", str(path)))
    assert line.startswith("错误：部署被拒绝")
    return line


def _refuse(entry: str, db_url: str, sessions: sessionmaker[Session], tmp_path: Path, content: bytes) -> str:
    if entry == "engine":
        return _refuse_through_engine(sessions, content)
    return _refuse_through_cli(db_url, tmp_path, content)


def _assert_nothing_stored(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert stored_counts(session) == (0, 0)
        assert CANARY_TEXT not in database_text(session)


@pytest.mark.parametrize("entry", ["engine", "cli"])
@pytest.mark.parametrize("attack", list(XML_ATTACKS))
def test_hostile_xml_is_refused_quickly_and_nothing_is_stored(
        attack: str, entry: str, db_url: str, db_engine: Engine, sessions: sessionmaker[Session],
        target: Target, tmp_path: Path) -> None:
    build, expected = XML_ATTACKS[attack]
    content = _bytes(build(target))
    started = time.perf_counter()
    message = _refuse(entry, db_url, sessions, tmp_path, content)
    assert time.perf_counter() - started < 2.0
    assert expected in message
    assert "evil.bpmn" in message or "probe" in message
    assert CANARY_TEXT not in message
    assert target.hits == []
    _assert_nothing_stored(sessions)


@pytest.mark.parametrize("entry", ["engine", "cli"])
@pytest.mark.parametrize("attack", list(EXPRESSION_ATTACKS))
def test_unsafe_code_and_unroutable_tasks_are_refused_naming_the_element(
        attack: str, entry: str, db_url: str, db_engine: Engine, sessions: sessionmaker[Session],
        tmp_path: Path) -> None:
    document, element = EXPRESSION_ATTACKS[attack]
    message = _refuse(entry, db_url, sessions, tmp_path, _bytes(document))
    assert f"元素 {element}" in message
    assert not Path("/tmp/pwned").exists()
    _assert_nothing_stored(sessions)


def test_the_probe_process_itself_deploys(db_engine: Engine, sessions: sessionmaker[Session]) -> None:
    """The attacks above differ from this valid document by one thing each, so their refusals are meaningful."""
    documents = [samples.process(), samples.process(samples.gateway("amount > 1000 and 'x' in tags")),
                 samples.process(samples.script_task("total = income + 1\ncount = len(items)")),
                 samples.process(samples.timer("'PT1H'")), samples.pre_script("seen = True")]
    for index, document in enumerate(documents):
        with sessions() as session, session.begin():
            [result] = deployment.deploy(session, [SourceFile("probe.bpmn", _bytes(document))], [], FORMS)
        assert (result.key, result.version, result.created) == ("probe", index + 1, True)


def test_one_bad_file_in_a_bundle_stores_none_of_it(db_engine: Engine, sessions: sessionmaker[Session]) -> None:
    good = SourceFile("good.bpmn", _bytes(samples.process().replace('"probe"', '"good_process"')))
    bad = SourceFile("bad.bpmn", _bytes(samples.process(samples.gateway("__import__('os')"))))
    with sessions() as session:
        with pytest.raises(DeployRejected):
            with session.begin():
                deployment.deploy(session, [good, bad], [], FORMS)
    _assert_nothing_stored(sessions)


def test_every_problem_of_a_bundle_is_reported(db_engine: Engine, sessions: sessionmaker[Session]) -> None:
    bad_lane = SourceFile("lane.bpmn", _bytes(samples.process(review_lane="路人").replace('"probe"', '"p2"')))
    bad_code = SourceFile("code.bpmn", _bytes(samples.process(samples.gateway("x.y"))))
    with sessions() as session, pytest.raises(DeployRejected) as refused:
        deployment.deploy(session, [bad_lane, bad_code], [], FORMS)
    assert any("元素 review" in p for p in refused.value.problems)
    assert any("元素 gw" in p for p in refused.value.problems)


def test_text_instead_of_bytes_is_refused(db_engine: Engine, sessions: sessionmaker[Session]) -> None:
    """A decoded upload with an encoding declaration must not reach lxml as ``str`` (T-XML-11)."""
    with sessions() as session, pytest.raises(DeployRejected) as refused:
        deployment.deploy(session, [SourceFile("text.bpmn", samples.process())], [], FORMS)  # type: ignore[arg-type]
    assert "字节" in str(refused.value)
    _assert_nothing_stored(sessions)


def test_processing_instructions_and_comments_are_stripped(db_engine: Engine, sessions: sessionmaker[Session]) -> None:
    document = _bytes(samples.process().replace("<bpmn:process ", '<?xml-stylesheet href="file:///etc/passwd"?>'
                                                "<!-- a comment --><bpmn:process ", 1))
    tree = parse_untrusted_xml(document)
    assert not [node for node in tree.getroot().iter() if isinstance(node, (etree._ProcessingInstruction,
                                                                            etree._Comment))]
    with sessions() as session, session.begin():
        [result] = deployment.deploy(session, [SourceFile("pi.bpmn", document)], [], FORMS)
    assert result.created


def _mutate(document: str, rng: random.Random) -> bytes:
    root = etree.fromstring(document.encode("utf-8"))
    elements = list(root.iter())
    for _ in range(rng.randint(1, 3)):
        element, choice = rng.choice(elements), rng.random()
        if choice < 0.35 and element.getparent() is not None:
            element.getparent().remove(element)
        elif choice < 0.7 and element.attrib:
            element.set(rng.choice(list(element.attrib)), rng.choice(MUTATION_VALUES))
        elif choice < 0.85:
            element.text = rng.choice([*MUTATION_VALUES, "count <", "x ==", "'P1D'", "__import__('os')"])
        elif element.getparent() is not None:
            element.getparent().append(etree.fromstring(etree.tostring(element)))
    return etree.tostring(root)


MUTATION_VALUES = ["", "x", "start", "review", "draft", "end", "gw", "probe", "秘书长", "理事长", "true", "false",
                   "f1", "f2", "f3", "lane_staff", "annual_plan"]


def test_mutated_documents_only_ever_deploy_or_are_refused() -> None:
    """A bounded structural fuzz (T-XML-10): no input may crash the compiler or take more than a second."""
    rng = random.Random(20261126)
    bases = [samples.process(), samples.gateway_after_review("income_total > 1"), samples.script_loop(3),
             samples.process(samples.timer("'PT1H'")), samples.pre_script("seen = True"), ANNUAL_PLAN_BPMN]
    outcomes = {"deployed": 0, "refused": 0}
    for _ in range(300):
        content = _mutate(rng.choice(bases), rng)
        started = time.perf_counter()
        try:
            compile_bundle([SourceFile("fuzz.bpmn", content)], [], FORMS)
            outcomes["deployed"] += 1
        except DeployRejected:
            outcomes["refused"] += 1
        assert time.perf_counter() - started < 1.0
    assert outcomes["deployed"] > 10 and outcomes["refused"] > 10
