# Design checks, per-runner results, condition effects (two analyses), dose-response, responders, power.


rule check_manipulation:
    input:
        stances=f"{RESULTS}/stances.parquet",
    output:
        f"{RESULTS}/stats/manipulation.csv",
    params:
        baseline=config["stats"]["baseline"],
        tolerances=design_tolerances(),
        interventions=config["stats"]["interventions"],
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/check_manipulation.log",
    benchmark:
        f"{RESULTS}/benchmarks/check_manipulation.tsv"
    script:
        "../scripts/check_manipulation.py"


# control against fatigue (stride-to-stride variability, drift) and "is this hip drop?" (hipdrop.stats.control,
# hipdrop.stats.reference); config stats.control and stats.reference have no default of their own: the modules
# fill their keys' defaults
rule summarise_control:
    input:
        stances=f"{RESULTS}/stances.parquet",
    output:
        f"{RESULTS}/stats/control.csv",
    params:
        min_stances=config["stats"]["min_stances"],
        alpha=config["stats"]["alpha"],
        min_subjects=config["stats"]["min_subjects"],
        control=config["stats"].get("control") or {},
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/summarise_control.log",
    benchmark:
        f"{RESULTS}/benchmarks/summarise_control.tsv"
    script:
        "../scripts/summarise_control.py"


rule compare_reference:
    input:
        stances=f"{RESULTS}/stances.parquet",
    output:
        f"{RESULTS}/stats/reference.csv",
    params:
        baseline=config["stats"]["baseline"],
        reference=config["stats"].get("reference") or {},
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/compare_reference.log",
    benchmark:
        f"{RESULTS}/benchmarks/compare_reference.tsv"
    script:
        "../scripts/compare_reference.py"


rule summarise_subjects:
    input:
        stances=f"{RESULTS}/stances.parquet",
        control=f"{RESULTS}/stats/control.csv",
        reference=f"{RESULTS}/stats/reference.csv",
    output:
        f"{RESULTS}/stats/subjects.csv",
    params:
        baseline=config["stats"]["baseline"],
        min_stances=config["stats"]["min_stances"],
        emg=config["emg"],
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/summarise_subjects.log",
    benchmark:
        f"{RESULTS}/benchmarks/summarise_subjects.tsv"
    script:
        "../scripts/summarise_subjects.py"


rule fit_effects:
    input:
        stances=f"{RESULTS}/stances.parquet",
        manipulation=f"{RESULTS}/stats/manipulation.csv",
    output:
        effects=f"{RESULTS}/stats/effects.csv",
        components=f"{RESULTS}/stats/variance_components.csv",
    params:
        baseline=config["stats"]["baseline"],
        metrics=config["stats"]["metrics"],
        min_subjects=config["stats"]["min_subjects"],
        alpha=config["stats"]["alpha"],
        exclude_confounded=config["stats"]["exclude_confounded"],
        emg=config["emg"],
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/fit_effects.log",
    benchmark:
        f"{RESULTS}/benchmarks/fit_effects.tsv"
    script:
        "../scripts/fit_effects.py"


rule fit_arm_effects:
    input:
        stances=f"{RESULTS}/stances.parquet",
        manipulation=f"{RESULTS}/stats/manipulation.csv",
    output:
        f"{RESULTS}/stats/arm_effects.csv",
    params:
        baseline=config["stats"]["baseline"],
        metrics=config["stats"]["arm_metrics"],
        min_subjects=config["stats"]["min_subjects"],
        alpha=config["stats"]["alpha"],
        exclude_confounded=config["stats"]["exclude_confounded"],
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/fit_arm_effects.log",
    benchmark:
        f"{RESULTS}/benchmarks/fit_arm_effects.tsv"
    script:
        "../scripts/fit_arm_effects.py"


rule fit_dose_response:
    input:
        stances=f"{RESULTS}/stances.parquet",
    output:
        f"{RESULTS}/stats/dose_response.csv",
    params:
        baseline=config["stats"]["baseline"],
        min_subjects=config["stats"]["min_subjects"],
        alpha=config["stats"]["alpha"],
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/fit_dose_response.log",
    benchmark:
        f"{RESULTS}/benchmarks/fit_dose_response.tsv"
    script:
        "../scripts/fit_dose_response.py"


rule classify_responders:
    input:
        stances=f"{RESULTS}/stances.parquet",
    output:
        f"{RESULTS}/stats/responders.csv",
    params:
        baseline=config["stats"]["baseline"],
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/classify_responders.log",
    benchmark:
        f"{RESULTS}/benchmarks/classify_responders.tsv"
    script:
        "../scripts/classify_responders.py"


rule estimate_power:
    input:
        components=f"{RESULTS}/stats/variance_components.csv",
    output:
        f"{RESULTS}/stats/power.csv",
    params:
        alpha=config["stats"]["alpha"],
        power=config["stats"]["power"],
        smallest_effect_deg=config["stats"]["smallest_effect_deg"],
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/estimate_power.log",
    benchmark:
        f"{RESULTS}/benchmarks/estimate_power.tsv"
    script:
        "../scripts/estimate_power.py"


rule summarise_run:
    input:
        trials=f"{RESULTS}/qc/trials.csv",
        effects=f"{RESULTS}/stats/effects.csv",
        manipulation=f"{RESULTS}/stats/manipulation.csv",
        responders=f"{RESULTS}/stats/responders.csv",
        dose_response=f"{RESULTS}/stats/dose_response.csv",
        stances=f"{RESULTS}/stances.parquet",
        reference=f"{RESULTS}/stats/reference.csv",
        control=f"{RESULTS}/stats/control.csv",
    output:
        f"{RESULTS}/summary.txt",
    params:
        reference=config["stats"].get("reference") or {},
        sheet_problems=SHEET_PROBLEMS,
        quarantine=f"{RESULTS}/qc/quarantine.csv",
        min_stances=config["stats"]["min_stances"],
        flag_excluded_pct=config["stats"]["flag_excluded_pct"],
    conda:
        "../envs/hipdrop.yaml"
    log:
        f"{RESULTS}/logs/summarise_run.log",
    benchmark:
        f"{RESULTS}/benchmarks/summarise_run.tsv"
    script:
        "../scripts/summarise_run.py"

