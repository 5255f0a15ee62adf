# Figures of every result, each from the tables in results/ by one hipdrop.report.figures function (the notebooks call the
# same ones), in the report in the order of a paper's results.
import mimetypes

# the report embeds results/stances.parquet; Python's mimetypes does not know the suffix (IANA registered
# application/vnd.apache.parquet in 2024), and Snakemake would warn and serve it as text
mimetypes.add_type("application/vnd.apache.parquet", ".parquet")


rule plot_adherence:
    input:
        manipulation=f"{RESULTS}/stats/manipulation.csv",
        description=description("adherence.rst"),
    output:
        figure=report(
            f"{RESULTS}/figures/adherence.png", caption=caption_of("adherence"), category="1 Design and adherence"
        ),
        caption=f"{RESULTS}/figures/adherence.caption.rst",
    params:
        baseline=config["stats"]["baseline"],
        cadence_tolerance_pct=config["stats"]["cadence_target_tolerance_pct"],
        dpi=config["report"]["figure_dpi"],
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/plot_adherence.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_adherence.tsv"
    script:
        "../scripts/plot_adherence.py"


rule plot_effects:
    input:
        effects=f"{RESULTS}/stats/effects.csv",
        responders=f"{RESULTS}/stats/responders.csv",
        manipulation=f"{RESULTS}/stats/manipulation.csv",
        description=description("effects_figure.rst"),
    output:
        figure=report(f"{RESULTS}/figures/effects.png", caption=caption_of("effects"), category="2 Effects"),
        caption=f"{RESULTS}/figures/effects.caption.rst",
    params:
        metrics=config["stats"]["metrics"],
        dpi=config["report"]["figure_dpi"],
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/plot_effects.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_effects.tsv"
    script:
        "../scripts/plot_effects.py"


rule plot_dose_response:
    input:
        dose_response=f"{RESULTS}/stats/dose_response.csv",
        subjects=f"{RESULTS}/stats/subjects.csv",
        manipulation=f"{RESULTS}/stats/manipulation.csv",
        description=description("dose_response_figure.rst"),
    output:
        figure=report(
            f"{RESULTS}/figures/dose_response.png", caption=caption_of("dose_response"), category="2 Effects"
        ),
        caption=f"{RESULTS}/figures/dose_response.caption.rst",
    params:
        baseline=config["stats"]["baseline"],
        dpi=config["report"]["figure_dpi"],
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/plot_dose_response.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_dose_response.tsv"
    script:
        "../scripts/plot_dose_response.py"


rule plot_runners:
    input:
        subjects=f"{RESULTS}/stats/subjects.csv",
        responders=f"{RESULTS}/stats/responders.csv",
        description=description("runners.rst"),
    output:
        figure=report(f"{RESULTS}/figures/runners.png", caption=caption_of("runners"), category="3 Runners"),
        caption=f"{RESULTS}/figures/runners.caption.rst",
    params:
        baseline=config["stats"]["baseline"],
        dpi=config["report"]["figure_dpi"],
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/plot_runners.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_runners.tsv"
    script:
        "../scripts/plot_runners.py"


rule plot_obliquity:
    input:
        curves=f"{RESULTS}/curves.nc",
    output:
        report(
            f"{RESULTS}/figures/obliquity_by_condition.png",
            caption="../report/obliquity.rst",
            category="4 Waveforms",
        ),
    params:
        dpi=config["report"]["figure_dpi"],
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/plot_obliquity.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_obliquity.tsv"
    script:
        "../scripts/plot_obliquity.py"


rule plot_quality:
    input:
        stances=f"{RESULTS}/stances.parquet",
        quarantine=f"{RESULTS}/qc/quarantine.csv",
        agreement=f"{RESULTS}/qc/event_agreement_summary.csv",
        description=description("quality.rst"),
    output:
        figure=report(f"{RESULTS}/figures/quality.png", caption=caption_of("quality"), category="5 Quality"),
        caption=f"{RESULTS}/figures/quality.caption.rst",
    params:
        dpi=config["report"]["figure_dpi"],
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/plot_quality.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_quality.tsv"
    script:
        "../scripts/plot_quality.py"
