# Design checks, condition effects and figures.


rule check_manipulation:
    input:
        stances=f"{RESULTS}/stances.parquet",
    output:
        report(
            f"{RESULTS}/stats/manipulation.csv", caption="../report/manipulation.rst", category="Effects and checks"
        ),
    params:
        baseline=config["stats"]["baseline"],
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/check_manipulation.log",
    benchmark:
        f"{RESULTS}/benchmarks/check_manipulation.tsv"
    script:
        "../scripts/check_manipulation.py"


rule fit_effects:
    input:
        stances=f"{RESULTS}/stances.parquet",
    output:
        report(f"{RESULTS}/stats/effects.csv", caption="../report/effects.rst", category="Effects and checks"),
    params:
        baseline=config["stats"]["baseline"],
        metrics=config["stats"]["metrics"],
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/fit_effects.log",
    benchmark:
        f"{RESULTS}/benchmarks/fit_effects.tsv"
    script:
        "../scripts/fit_effects.py"


rule plot_obliquity:
    input:
        curves=f"{RESULTS}/curves.nc",
    output:
        report(
            f"{RESULTS}/figures/obliquity_by_condition.png",
            caption="../report/obliquity.rst",
            category="Figures",
        ),
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/plot_obliquity.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_obliquity.tsv"
    script:
        "../scripts/plot_obliquity.py"
