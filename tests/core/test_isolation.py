import subprocess
import sys


def test_core_package_imports_no_django():
    code = (
        "import sys, supportqa.core.scoring, supportqa.core.kpis, supportqa.core.intervals, "
        "supportqa.core.redact, supportqa.integrations.records, supportqa.integrations.native, "
        "supportqa.integrations.csvrows, supportqa.integrations.messages_csv, "
        "supportqa.integrations.twitter; "
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
