"""hipdrop.io.run_record: the run's config beside its results, and the baseline read back from them."""

import pandas as pd
import pytest

from hipdrop.io.run_record import run_baseline, write_run_config


def _results(tmp_path, conditions=("pre", "post")):
    results = tmp_path / "results"
    (results / "stats").mkdir(parents=True)
    pd.DataFrame({"condition": list(conditions)}).to_parquet(results / "stances.parquet")
    return results


def test_the_baseline_comes_from_the_recorded_config(tmp_path):
    results = _results(tmp_path)
    write_run_config(results / "config.yaml", {"stats": {"baseline": "pre", "alpha": 0.05}, "results": results})
    assert run_baseline(results) == "pre"


def test_a_run_without_a_recorded_config_gives_the_baseline_its_waveform_table_names(tmp_path):
    results = _results(tmp_path)
    pd.DataFrame({"condition": ["post"], "baseline": ["pre"]}).to_csv(results / "stats" / "waveforms_clusters.csv")
    assert run_baseline(results) == "pre"


def test_a_folder_that_records_no_baseline_says_what_is_missing(tmp_path):
    with pytest.raises(ValueError, match=r"records no baseline condition: neither .*config.yaml \(stats.baseline\)"):
        run_baseline(_results(tmp_path))


def test_a_baseline_no_stance_has_is_refused(tmp_path):
    results = _results(tmp_path)
    write_run_config(results / "config.yaml", {"stats": {"baseline": "baseline"}})
    with pytest.raises(ValueError, match=r"is 'baseline' .* no stance has that condition \(conditions: post, pre\)"):
        run_baseline(results)
