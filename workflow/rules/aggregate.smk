# The cohort's tables from the batches' tables, and the run's one-line summary.


rule aggregate_stances:
    input:
        stances=all_batches("stances.parquet"),
        curves=all_batches("curves.nc"),
        trials=all_batches("trials.csv"),
        quarantine=all_batches("quarantine.csv"),
        agreement=all_batches("event_agreement.csv"),
    output:
        parquet=report(
            f"{RESULTS}/stances.parquet", caption="../report/stances.rst", category="6 Methods"
        ),
        csv=f"{RESULTS}/stances.csv",
        curves=f"{RESULTS}/curves.nc",
        trials=f"{RESULTS}/qc/trials.csv",
        quarantine=f"{RESULTS}/qc/quarantine.csv",
        agreement=f"{RESULTS}/qc/event_agreement.csv",
        agreement_summary=f"{RESULTS}/qc/event_agreement_summary.csv",
    params:
        strict=config["strict"],
        curve_points=config["stances"]["curve_points"],
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/aggregate_stances.log",
    benchmark:
        f"{RESULTS}/benchmarks/aggregate_stances.tsv"
    script:
        "../scripts/aggregate_stances.py"
