# One job per subject (never per trial: a Python start costs ten times a trial's work); its trials run in
# parallel under Dask inside the job.


rule analyse_subject:
    input:
        trials=subject_files,
    output:
        stances=f"{RESULTS}/subjects/{{subject}}/stances.parquet",
        curves=f"{RESULTS}/subjects/{{subject}}/curves.nc",
        trials=f"{RESULTS}/subjects/{{subject}}/trials.csv",
        quarantine=f"{RESULTS}/subjects/{{subject}}/quarantine.csv",
        agreement=f"{RESULTS}/subjects/{{subject}}/event_agreement.csv",
    params:
        rows=subject_sheet,
        config=config,
    threads: 2
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/analyse_subject/{{subject}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/analyse_subject/{{subject}}.tsv"
    script:
        "../scripts/analyse_subject.py"
