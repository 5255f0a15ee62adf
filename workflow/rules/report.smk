# Waveforms (SPM), the methods section and one page per runner: what a paper and a clinic take away.


rule map_waveforms:
    input:
        curves=f"{RESULTS}/curves.nc",
        description=description("waveforms.rst"),
    output:
        clusters=report(
            f"{RESULTS}/stats/waveforms_clusters.csv", caption="../report/waveforms_clusters.rst", category="4 Waveforms"
        ),
        t=f"{RESULTS}/stats/waveforms_t.csv",
        figure=report(f"{RESULTS}/figures/waveforms.png", caption=caption_of("waveforms"), category="4 Waveforms"),
        caption=f"{RESULTS}/figures/waveforms.caption.rst",
    params:
        baseline=config["stats"]["baseline"],
        alpha=config["stats"]["alpha"],
        min_subjects=config["stats"]["min_subjects"],
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/map_waveforms.log",
    benchmark:
        f"{RESULTS}/benchmarks/map_waveforms.tsv"
    script:
        "../scripts/map_waveforms.py"


rule write_methods:
    input:
        trials=f"{RESULTS}/qc/trials.csv",
        stances=f"{RESULTS}/stances.parquet",
        effects=f"{RESULTS}/stats/effects.csv",
    output:
        report(f"{RESULTS}/methods.md", caption="../report/methods.rst", category="6 Methods"),
    params:
        config=config,
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/write_methods.log",
    benchmark:
        f"{RESULTS}/benchmarks/write_methods.tsv"
    script:
        "../scripts/write_methods.py"


# one job for every runner's page: a job per runner would pay Python's start-up per page (architecture.md section 5)
rule plot_runner_pages:
    input:
        curves=f"{RESULTS}/curves.nc",
        stances=f"{RESULTS}/stances.parquet",
        responders=f"{RESULTS}/stats/responders.csv",
        manipulation=f"{RESULTS}/stats/manipulation.csv",
    output:
        pages=report(
            expand(f"{RESULTS}/runners/{{subject}}.png", subject=SUBJECTS),
            caption="../report/runner_pages.rst",
            category="3 Runners",
        ),
    params:
        subjects=SUBJECTS,
        baseline=config["stats"]["baseline"],
    threads: page_threads
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/plot_runner_pages.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_runner_pages.tsv"
    script:
        "../scripts/plot_runner_pages.py"


# the config the run used, beside its results: the notebooks read the baseline (and a reader every setting) there
rule record_config:
    output:
        f"{RESULTS}/config.yaml",
    params:
        config=config,
    localrule: True
    run:
        from hipdrop.run_record import write_run_config

        write_run_config(output[0], params.config)
