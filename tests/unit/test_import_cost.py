"""Start-up (issue 27): the modules every statistics and report step imports leave out the heavy packages that only
some code paths use, and those paths still work. Each check runs in a fresh interpreter, where sys.modules shows what
an import really brought in."""

import subprocess
import sys

import yaml

from hipdrop.config import SCHEMA_DIR, load_schema


def _loaded_after(code: str, modules: list[str]) -> dict[str, bool]:
    probe = f"import sys\n{code}\nprint(' '.join(str(m in sys.modules) for m in {modules!r}))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout.split()
    return dict(zip(modules, (word == "True" for word in out)))


def test_the_emg_names_and_the_drift_fit_do_not_import_scipy_signal_or_statsmodels_api():
    # the statistics and report jobs import these for names and label rules; scipy.signal brings scipy.stats (0.5
    # cpu-s), statsmodels.api its distributions, graphics, datasets and time series (0.2 cpu-s beside the formula API)
    loaded = _loaded_after(
        "import numpy as np\n"
        "import hipdrop.kernels.emg, hipdrop.stats.emg, hipdrop.report.emg\n"
        "from hipdrop.stats.control import drift_fit\n"
        "t = np.arange(40.0)\n"
        "fit = drift_fit(0.01 * t + np.sin(t), t, np.zeros(40))\n"
        "assert abs(fit['drift_per_min'] - 0.01) < 0.05, fit\n",
        ["scipy.signal", "statsmodels.api"])
    assert loaded == {"scipy.signal": False, "statsmodels.api": False}


def test_the_emg_envelope_imports_its_filters_when_used():
    loaded = _loaded_after(
        "import numpy as np\n"
        "from hipdrop.kernels.emg import emg_envelope\n"
        "env = emg_envelope(np.random.default_rng(0).normal(size=2000), rate_hz=1000.0)\n"
        "assert env.shape == (2000,) and np.isfinite(env).all()\n",
        ["scipy.signal"])
    assert loaded == {"scipy.signal": True}


def test_the_schemas_read_by_libyaml_equal_the_pure_python_parser():
    for name in ("config", "trials"):
        text = (SCHEMA_DIR / f"{name}.schema.yaml").read_text()
        assert load_schema(name) == yaml.load(text, Loader=yaml.SafeLoader)
