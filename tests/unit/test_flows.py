"""Call scripts are data: checked at start-up, with the file and step named when broken."""

import shutil
from pathlib import Path

import pytest
import yaml

from app.calls.script import FlowError, SpeechStep
from app.calls.script_files import load_flow, load_flows
from app.config import PROJECT_ROOT

SHIPPED = PROJECT_ROOT / "voice_flows" / "caller.en.yaml"


def test_the_shipped_scripts_are_valid():
    flows = load_flows(PROJECT_ROOT / "voice_flows")
    caller = flows["caller.en"]
    # One script in each language the line speaks, asking the same questions.
    assert sorted(flows) == ["caller.en", "caller.es", "page"]
    assert [s.id for s in flows["caller.es"].steps] == [s.id for s in caller.steps]
    assert [step.id for step in caller.steps] == [
        "service",
        "description",
        "started",
        "last_worked",
        "impact",
        "responsible",
        "email",
        "cas",
        "callback",
        "review",
    ]
    description = caller.step("description")
    assert isinstance(description, SpeechStep) and description.record_after == 2


def broken(tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(SHIPPED.read_text())
    change(data)
    path = tmp_path / "caller.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _step(data: dict, step_id: str) -> dict:
    return next(step for step in data["steps"] if step["id"] == step_id)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: _step(d, "impact").pop("prompt"), r"step impact, prompt: Field required"),
        (
            lambda d: _step(d, "service").update(confirm="I heard {servce}."),
            r"step service, confirm: unknown placeholder \{servce\}",
        ),
        (lambda d: _step(d, "started").update(type="dance"), r"step started.*dance"),
        (
            lambda d: _step(d, "impact").update(default="nobody"),
            r"step impact.*default 'nobody' is not one of",
        ),
        (lambda d: _step(d, "impact")["options"][1].update(key="1"), r"step impact.*share a key"),
        (
            lambda d: _step(d, "description").update(record_prompt=None),
            r"step description.*record_prompt",
        ),
        (lambda d: d["steps"].pop(4), r"no step gathers the 'impact' field"),
        (lambda d: d["steps"].append(dict(_step(d, "started"))), r"step ids used twice: started"),
        (lambda d: d["messages"].pop("goodbye"), r"messages.goodbye: Field required"),
        (lambda d: d.update(language="English"), r"language"),
    ],
)
def test_a_broken_script_names_the_file_and_step(tmp_path: Path, change, message: str):
    path = broken(tmp_path, change)
    with pytest.raises(FlowError, match=message) as error:
        load_flow(path)
    assert str(path) in str(error.value)


def test_unreadable_yaml_is_reported(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("steps: [unclosed")
    with pytest.raises(FlowError, match="cannot be read"):
        load_flow(path)


def test_flows_check_command(runner):
    result = runner.invoke(args=["flows", "check"])
    assert result.exit_code == 0, result.output
    assert (
        "ok  caller (en-US): service, description, started, last_worked, impact, responsible, "
        "email, cas, callback, review" in result.output
    )
    assert "ok  page (en-US): what a paged responder hears" in result.output


def test_flows_check_names_the_broken_step(runner, tmp_path: Path):
    broken(tmp_path, lambda d: _step(d, "callback").pop("keyin"))
    result = runner.invoke(args=["flows", "check", "--dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "step callback, keyin: Field required" in result.output


def test_a_reworded_prompt_needs_no_code_change(settings, clock, tmp_path: Path):
    from app import create_app
    from tests.support import TwilioClient

    broken(tmp_path, lambda d: _step(d, "service").update(prompt="Name the broken thing, please."))
    shutil.copy(SHIPPED.parent / "page.yaml", tmp_path)
    app = create_app({**settings, "VOICE_FLOWS_DIR": str(tmp_path)}, clock=clock)
    twiml = TwilioClient(app).voice("/voice/incoming", "CA-reworded")
    assert "Name the broken thing, please." in twiml.text
    app.extensions["db"].engine.dispose()


def test_a_spelled_email_address_is_written_down():
    from app.emails import find_in, from_speech

    assert find_in(from_speech("dana dot smith at example dot e d u")) == "dana.smith@example.edu"
    assert find_in(from_speech("lab dash one at uiowa dot edu")) == "lab-one@uiowa.edu"
    assert find_in(from_speech("no address")) is None


SPANISH = PROJECT_ROOT / "voice_flows" / "caller.es.yaml"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["steps"].remove(_step(d, "responsible")),
            r"caller \(es against en\): the steps differ",
        ),
        (
            lambda d: _step(d, "impact")["options"][0].update(key="7"),
            r"caller \(es against en\), step impact: the options differ",
        ),
        (
            lambda d: d["finish"].update(reference="Su referencia es la que le dimos."),
            r"caller \(es against en\), finish.reference: placeholders \[\] against "
            r"\['reference'\]",
        ),
    ],
    ids=["a step missing", "another key", "a placeholder dropped"],
)
def test_the_languages_of_a_script_must_ask_the_same(tmp_path, change, message):
    (tmp_path / "caller.en.yaml").write_text(SHIPPED.read_text())
    data = yaml.safe_load(SPANISH.read_text())
    change(data)
    (tmp_path / "caller.es.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(FlowError, match=message):
        load_flows(tmp_path)
