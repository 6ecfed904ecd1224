"""Under CI (`CI=true`) a missing test tool fails the run; elsewhere the suite skips and says why.

Each case runs pytest on a real suite in a child process with one package made unimportable (a stand-in
package earlier on PYTHONPATH that raises ImportError), once with CI=true and once without.
"""
import os
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent

CASES = [
    ("backtesting", "test_backtest_vs_backtesting_py.py"),
    ("backtesting", "test_bad_market_data.py"),
    ("talib", "test_indicators_talib.py"),
    ("psycopg", "test_import_postgres.py"),
    ("boto3", "test_sigv4_botocore.py"),
    ("moto", "test_sqs_moto.py"),
    ("pandas", "test_alphavantage.py"),
    ("selenium", "test_dashboard.py"),
]


def _collect(tmp_path, blocked, suite, ci):
    stand_in = tmp_path / "blocked" / blocked
    stand_in.mkdir(parents=True)
    (stand_in / "__init__.py").write_text(f"raise ImportError('{blocked} blocked by test_ci_cannot_skip')\n")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = os.pathsep.join([str(stand_in.parent), env.get("PYTHONPATH", "")])
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", str(HERE / suite)],
        cwd=HERE, env=env, capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize("blocked,suite", CASES, ids=[f"{s}-without-{b}" for b, s in CASES])
def test_missing_package_fails_in_ci(tmp_path, blocked, suite):
    proc = _collect(tmp_path, blocked, suite, ci=True)
    assert proc.returncode not in (0, 5), proc.stdout
    assert "blocked by test_ci_cannot_skip" in proc.stdout


@pytest.mark.parametrize("blocked,suite", [c for c in CASES if c[0] == "backtesting"], ids=lambda v: v)
def test_missing_package_skips_visibly_outside_ci(tmp_path, blocked, suite):
    proc = _collect(tmp_path, blocked, suite, ci=False)
    assert proc.returncode in (0, 5), proc.stdout
    assert "skipped" in proc.stdout and f"Python package {blocked!r} is not installed" in proc.stdout
