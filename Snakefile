# hipdrop: contralateral pelvic drop from C3D files to condition effects. See README.md and config/README.md.
configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/analyse.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/stats.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/figures.smk"
# last: the cohort's steps as two jobs, built from the rules above
include: "workflow/rules/jobs.smk"


rule all:
    input:
        f"{RESULTS}/stances.parquet",
        f"{RESULTS}/stances.csv",
        f"{RESULTS}/curves.nc",
        f"{RESULTS}/qc/quarantine.csv",
        f"{RESULTS}/stats/manipulation.csv",
        f"{RESULTS}/stats/effects.csv",
        f"{RESULTS}/stats/arm_effects.csv",
        f"{RESULTS}/stats/subjects.csv",
        f"{RESULTS}/stats/dose_response.csv",
        f"{RESULTS}/stats/responders.csv",
        f"{RESULTS}/stats/power.csv",
        f"{RESULTS}/summary.txt",
        f"{RESULTS}/figures/adherence.png",
        f"{RESULTS}/figures/effects.png",
        f"{RESULTS}/figures/dose_response.png",
        f"{RESULTS}/figures/runners.png",
        f"{RESULTS}/figures/obliquity_by_condition.png",
        f"{RESULTS}/stats/waveforms_clusters.csv",
        f"{RESULTS}/figures/waveforms.png",
        f"{RESULTS}/methods.md",
        expand(f"{RESULTS}/runners/{{subject}}.png", subject=SUBJECTS),
        f"{RESULTS}/figures/quality.png",
        f"{RESULTS}/config.yaml",
        expand(f"{RESULTS}/report_pages/{{name}}.html", name=REPORT_PAGES),
