# The cohort's tables from the subjects' tables, and the run's one-line summary.


rule aggregate_stances:
    input:
        stances=all_subjects("stances.parquet"),
        curves=all_subjects("curves.nc"),
        trials=all_subjects("trials.csv"),
        quarantine=all_subjects("quarantine.csv"),
        agreement=all_subjects("event_agreement.csv"),
    output:
        parquet=report(
            f"{RESULTS}/stances.parquet", caption="../report/stances.rst", category="Stances"
        ),
        csv=f"{RESULTS}/stances.csv",
        curves=f"{RESULTS}/curves.nc",
        trials=f"{RESULTS}/qc/trials.csv",
        quarantine=report(
            f"{RESULTS}/qc/quarantine.csv", caption="../report/quarantine.rst", category="Quality control"
        ),
        agreement=f"{RESULTS}/qc/event_agreement.csv",
        agreement_summary=report(
            f"{RESULTS}/qc/event_agreement_summary.csv",
            caption="../report/event_agreement.rst",
            category="Quality control",
        ),
    params:
        strict=config["strict"],
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/aggregate_stances.log",
    benchmark:
        f"{RESULTS}/benchmarks/aggregate_stances.tsv"
    script:
        "../scripts/aggregate_stances.py"
