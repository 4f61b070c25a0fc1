"""Execution accuracy on the real GfG tests: statuses, matching, aggregation, errors."""

from __future__ import annotations

import json

import pytest

import fusionbench
from fusionbench.cli import main
from fusionbench.errors import FusionBenchError, MissingFileError
from fusionbench.evaluation import accumulator_for
from fusionbench.metrics.execution import ExecutionCounts, load_tests, run_items
from tests.c2c_real.conftest import MIRROR, gfg_split, needs_bwrap, needs_mirror
from tests.c2c_real.helpers import CORRECT, EVEN_ODD, even_odd

pytestmark = [needs_mirror, needs_bwrap]

#: Gold failures of the GfG test split (reference Python vs its own script), with their causes;
#: the README's table lists the same four.
GOLD_FAILURES = {
    "MINIMUM_ROTATIONS_REQUIRED_GET_STRING": "failure",  # reference slices tmp[i:n], the script's gold tmp[i:i+n]
    "DIVISIBILITY_BY_7": "failure",  # the script's gold divides with / (float), the reference with //
    "SEARCH_AN_ELEMENT_IN_A_SORTED_AND_PIVOTED_ARRAY": "error",  # the reference calls search(a, ...): NameError
    "SEARCH_ALMOST_SORTED_ARRAY": "error",  # the script's parameter list has a syntax error (0, 4, ,)
}


def test_gold_references_pass_their_own_scripts():
    references = {k: py for k, (_, py) in gfg_split("test").items()}
    outcomes = run_items(references, references, load_tests(MIRROR))
    with_test = [o for o in outcomes if o.status != "no_test"]
    assert len(with_test) == 464
    failed = {o.key: o.status for o in with_test if o.status != "success"}
    assert failed == GOLD_FAILURES
    assert len(with_test) - len(failed) == 460


def test_one_candidate_per_status():
    reference = gfg_split("test")[EVEN_ODD][1]
    predictions = {
        EVEN_ODD: CORRECT,  # matched by its GfG id
        "0": even_odd("return True"),  # official-style keys: matched by the reference Python
        "1": even_odd("return ( n"),
        "2": even_odd("return n / 0"),
        "3": even_odd("while True :", "    pass"),
        "4": CORRECT,
    }
    references = {key: reference for key in predictions}
    references["4"] = "def nowhere ( ) : NEW_LINE INDENT return 1 NEW_LINE DEDENT"
    outcomes = run_items(predictions, references, load_tests(MIRROR), timeout_s=2)
    assert [(o.status, o.test) for o in outcomes] == [
        ("success", EVEN_ODD), ("failure", EVEN_ODD), ("error", EVEN_ODD), ("error", EVEN_ODD),
        ("timeout", EVEN_ODD), ("no_test", None)]
    assert (outcomes[1].passed, outcomes[1].total) == (5, 10)
    assert outcomes[2].error.startswith("SyntaxError")
    assert outcomes[3].error == "ZeroDivisionError: division by zero"


def _write(folder, references, predictions):
    (folder / "ref").mkdir()
    (folder / "pred").mkdir()
    (folder / "ref/true_C2C.json").write_text(json.dumps(references))
    (folder / "pred/prediction_C2C.json").write_text(json.dumps(predictions))
    return folder / "pred", folder / "ref"


def test_evaluate_reports_execution_next_to_codebleu(tmp_path):
    reference = gfg_split("test")[EVEN_ODD][1]
    references = {"0": reference, "1": reference, "2": "x = 1 NEW_LINE"}
    predictions = {"0": CORRECT, "1": even_odd("return True"), "2": "x = 1 NEW_LINE"}
    pred, ref = _write(tmp_path, references, predictions)
    plain = fusionbench.evaluate(pred, ref).scores["C2C"]
    c2c = fusionbench.evaluate(pred, ref, c2c_execution=True, c2c_tests=MIRROR).scores["C2C"]
    assert c2c.score == plain.score  # the task score stays CodeBLEU
    execution = c2c.to_dict()["execution"]
    assert execution["accuracy"] == 0.5 and execution["with_test"] == 2
    assert execution["counts"] == {"success": 1, "failure": 1, "error": 0, "timeout": 0, "no_test": 1}
    assert "metric:execution" in execution["signature"] and "timeout:10s" in execution["signature"]
    assert execution["items"]["1"] == {"status": "failure", "test": EVEN_ODD, "passed": 5, "total": 10}


def test_cli_json_and_table(tmp_path, capsys):
    reference = gfg_split("test")[EVEN_ODD][1]
    pred, ref = _write(tmp_path, {"0": reference}, {"0": CORRECT})
    assert main(["score", str(ref), str(pred), "--c2c-exec", "--c2c-tests", str(MIRROR), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["tasks"]["C2C"]["execution"]["accuracy"] == 1.0
    assert main(["score", str(ref), str(pred), "--c2c-exec", "--c2c-tests", str(MIRROR)]) == 0
    table = capsys.readouterr().out
    assert "C2C execution accuracy: 1.000 (1/1 items with a test" in table
    assert "C2C grammar: default" in table


def test_no_item_with_a_test_is_an_error_not_zero(tmp_path, capsys):
    pred, ref = _write(tmp_path, {"0": "x = 1 NEW_LINE"}, {"0": "x = 1 NEW_LINE"})
    with pytest.raises(FusionBenchError, match="none of the 1 item"):
        fusionbench.evaluate(pred, ref, c2c_execution=True, c2c_tests=MIRROR)
    assert main(["score", str(ref), str(pred), "--c2c-exec", "--c2c-tests", str(MIRROR)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"fusionbench: error: {MIRROR}: C2C execution: none of the 1 item") and error.count("\n") == 1


def test_tests_folder_without_the_layout_is_one_clear_error(tmp_path):
    (tmp_path / "x.py").write_text("print(1)\n")
    with pytest.raises(MissingFileError, match="no test script with a #TOFILL line") as info:
        load_tests(tmp_path)
    assert str(tmp_path) in str(info.value)
    with pytest.raises(MissingFileError, match="does not exist"):
        load_tests(tmp_path / "missing")


def test_accumulator_in_batches_equals_one_call_and_bootstraps():
    from fusionbench.harness.bootstrap import bootstrap_scores

    items = [(k, py) for k, (_, py) in gfg_split("test").items()][:40]
    trivial = {k: py.replace(" + 1", " + 2") for k, py in items}  # some right, some wrong
    references = dict(items)
    one = accumulator_for("C2C", c2c_execution=True, c2c_tests=MIRROR)
    one.update(trivial, references)
    batched = accumulator_for("C2C", c2c_execution=True, c2c_tests=MIRROR)
    keys = list(references)
    stats = []
    for part in (keys[:15], keys[15:]):
        batch = list(batched.item_stats({k: trivial[k] for k in part}, {k: references[k] for k in part}))
        batched.add(batch)
        stats += batch
    assert batched.compute().to_dict() == one.compute().to_dict()
    counts = one.total.execution
    assert counts.with_test > 0 and sum(counts.to_dict().values()) == 40
    samples = bootstrap_scores([s.stats for s in stats], lambda s: s.execution.accuracy, samples=200, seed=1)
    assert min(samples) <= counts.accuracy <= max(samples) and len(set(samples)) > 1


def test_counts_add_and_accuracy():
    counts = ExecutionCounts.of("success") + ExecutionCounts.of("failure") + ExecutionCounts.of("no_test")
    assert (counts.with_test, counts.accuracy) == (2, 0.5)


def test_default_tests_are_downloaded_once_verified(tmp_path, monkeypatch):
    monkeypatch.delenv("FUSIONBENCH_C2C_TESTS", raising=False)
    monkeypatch.setenv("FUSIONBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("FUSIONBENCH_AVATAR_URL", MIRROR.as_uri() + "/")  # the mirror stands in for GitHub
    suite = load_tests(None)
    assert len(suite.scripts) == 702 and suite.root.is_relative_to(tmp_path / "cache")
    assert suite.match("0", gfg_split("test")[EVEN_ODD][1]) == EVEN_ODD  # reference files came too
    assert not list(suite.root.rglob(".*"))  # no temporary file left behind


def test_scripts_folder_given_directly_still_matches_official_keys():
    suite = load_tests(MIRROR / "transcoder_evaluation_gfg/python")
    assert len(suite.scripts) == 702
    assert suite.match("0", gfg_split("test")[EVEN_ODD][1]) == EVEN_ODD
