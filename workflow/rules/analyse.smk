# One job per batch of subjects (config subjects_per_job; never per trial: a Python start costs ten times a
# trial's work); the batch's trials run in parallel inside the job, each isolated (hipdrop.execution.parallel; config dask).


rule analyse_batch:
    input:
        trials=batch_files,
    output:
        stances=f"{RESULTS}/batches/{{batch}}/stances.parquet",
        curves=f"{RESULTS}/batches/{{batch}}/curves.nc",
        trials=f"{RESULTS}/batches/{{batch}}/trials.csv",
        quarantine=f"{RESULTS}/batches/{{batch}}/quarantine.csv",
        agreement=f"{RESULTS}/batches/{{batch}}/event_agreement.csv",
    params:
        rows=batch_sheet,
        # the config less what only later steps read (the statistics, how figures are drawn, strict mode): changing
        # one of those reruns those steps, not the trials
        config={key: value for key, value in config.items() if key not in ("stats", "report", "strict")},
    threads: batch_threads
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/analyse_batch/{{batch}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/analyse_batch/{{batch}}.tsv"
    script:
        "../scripts/analyse_batch.py"
