# Waveforms (SPM), the methods section and one page per runner: what a paper and a clinic take away.


rule map_waveforms:
    input:
        curves=f"{RESULTS}/curves.nc",
        description=description("waveforms.rst"),
    output:
        clusters=f"{RESULTS}/stats/waveforms_clusters.csv",
        t=f"{RESULTS}/stats/waveforms_t.csv",
        figure=report(f"{RESULTS}/figures/waveforms.png", caption=caption_of("waveforms"), category="4 Waveforms"),
        caption=f"{RESULTS}/figures/waveforms.caption.rst",
    params:
        baseline=config["stats"]["baseline"],
        alpha=config["stats"]["alpha"],
        min_subjects=config["stats"]["min_subjects"],
        dpi=config["report"]["figure_dpi"],
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
        reference=f"{RESULTS}/stats/reference.csv",
    output:
        f"{RESULTS}/methods.md",
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


# one job for every runner's page: a job per runner would pay Python's start-up per page (docs/architecture.md section 5)
rule plot_runner_pages:
    input:
        curves=f"{RESULTS}/curves.nc",
        stances=f"{RESULTS}/stances.parquet",
        responders=f"{RESULTS}/stats/responders.csv",
        manipulation=f"{RESULTS}/stats/manipulation.csv",
        control=f"{RESULTS}/stats/control.csv",
        reference=f"{RESULTS}/stats/reference.csv",
    output:
        pages=report(
            expand(f"{RESULTS}/runners/{{subject}}.png", subject=SUBJECTS),
            caption="../report/runner_pages.rst",
            category="3 Runners",
        ),
    params:
        subjects=SUBJECTS,
        baseline=config["stats"]["baseline"],
        min_stances=config["stats"]["min_stances"],
        dpi=config["report"]["runner_page_dpi"],
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
    log:
        f"{RESULTS}/logs/record_config.log",
    localrule: True
    conda:
        "../envs/hipdrop.yaml"
    script:
        "../scripts/record_config.py"


# The report's viewer opens images, PDF and HTML and offers any other file only as a download: the run summary, the
# methods and every result table get an HTML page each (hipdrop.report.tables), in the report where the file was;
# each table page carries its CSV as a download. name: (file below results/, title, caption, category)
REPORT_PAGES = {
    "summary": ("summary.txt", "Run summary", "summary.rst", "0 Summary"),
    "manipulation": ("stats/manipulation.csv", "Manipulation check", "manipulation.rst", "1 Design and adherence"),
    "effects": ("stats/effects.csv", "Effects", "effects.rst", "2 Effects"),
    "dose_response": ("stats/dose_response.csv", "Dose-response", "dose_response.rst", "2 Effects"),
    "subjects": ("stats/subjects.csv", "Runners' means per condition", "subjects.rst", "3 Runners"),
    "responders": ("stats/responders.csv", "Responders", "responders.rst", "3 Runners"),
    "control": ("stats/control.csv", "Control: stride-to-stride variability and drift", "control.rst", "3 Runners"),
    "reference": ("stats/reference.csv", "Baseline peak drop against the reference", "reference.rst", "3 Runners"),
    "waveforms_clusters": ("stats/waveforms_clusters.csv", "SPM clusters", "waveforms_clusters.rst", "4 Waveforms"),
    "quarantine": ("qc/quarantine.csv", "Quarantined trials", "quarantine.rst", "5 Quality"),
    "event_agreement": ("qc/event_agreement_summary.csv", "Event agreement per trial", "event_agreement.rst", "5 Quality"),
    "power": ("stats/power.csv", "Power", "power.rst", "6 Methods"),
    "methods": ("methods.md", "Methods", "methods.rst", "6 Methods"),
}


rule render_report_pages:
    input:
        **{name: f"{RESULTS}/{file}" for name, (file, _, _, _) in REPORT_PAGES.items()},
    output:
        **{
            name: report(f"{RESULTS}/report_pages/{name}.html", caption=f"../report/{caption}", category=category)
            for name, (_, _, caption, category) in REPORT_PAGES.items()
        },
    params:
        titles={name: title for name, (_, title, _, _) in REPORT_PAGES.items()},
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/render_report_pages.log",
    benchmark:
        f"{RESULTS}/benchmarks/render_report_pages.tsv"
    script:
        "../scripts/render_report_pages.py"
