# hipdrop: contralateral pelvic drop from C3D files to condition effects. See README.md and config/README.md.
configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/analyse.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/stats.smk"


rule all:
    input:
        f"{RESULTS}/stances.parquet",
        f"{RESULTS}/stances.csv",
        f"{RESULTS}/curves.nc",
        f"{RESULTS}/qc/quarantine.csv",
        f"{RESULTS}/stats/manipulation.csv",
        f"{RESULTS}/stats/effects.csv",
        f"{RESULTS}/stats/subjects.csv",
        f"{RESULTS}/stats/dose_response.csv",
        f"{RESULTS}/stats/responders.csv",
        f"{RESULTS}/stats/power.csv",
        f"{RESULTS}/summary.txt",
        f"{RESULTS}/figures/obliquity_by_condition.png",
