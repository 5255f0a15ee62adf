# The cohort's steps as two jobs: every step rule of stats.smk in one job (cohort_statistics), every step rule of
# figures.smk and report.smk in another (draw_report). A job pays Python's start-up and imports, more than most of
# these steps' own work (docs/architecture.md section 5; benchmarks/startup.py), so a job per step would make a
# lab-sized study mostly start-up.
#
# The step rules stay defined where they are, each with its own inputs, outputs, params, log and adapter script; the
# two jobs are built from them here (included last, once every rule is known) and take precedence (ruleorder). Each
# job runs its steps' own scripts in one process, in dependency order (workflow/scripts/_steps.py), each with the
# step's own inputs, outputs, params and log, as Snakemake would run it as a job. A job's params hold every step's
# params and its script's digest: a changed setting or script reruns that job and what reads its outputs, nothing
# before it (a figure setting reruns draw_report, never the models of cohort_statistics).
# A step rule added to stats.smk, figures.smk or report.smk joins its file's job by itself (a rule with a `run:` or
# shell block, or with wildcards, stays a job of its own).
# (the helpers that build them: common.smk, StepsJob)

COHORT_STATISTICS = StepsJob("cohort_statistics", _step_rules("stats.smk"))
DRAW_REPORT = StepsJob("draw_report", _step_rules("figures.smk", "report.smk"))


rule cohort_statistics:
    input:
        **COHORT_STATISTICS.inputs,
    output:
        **COHORT_STATISTICS.outputs,
    params:
        steps=COHORT_STATISTICS.steps,
    threads: COHORT_STATISTICS.thread_count
    conda:
        "../envs/hipdrop.yaml"
    log:
        **COHORT_STATISTICS.logs,
    benchmark:
        f"{RESULTS}/benchmarks/cohort_statistics.tsv"
    script:
        "../scripts/cohort_statistics.py"


rule draw_report:
    input:
        **DRAW_REPORT.inputs,
    output:
        **DRAW_REPORT.outputs,
    params:
        steps=DRAW_REPORT.steps,
    threads: DRAW_REPORT.thread_count
    conda:
        "../envs/hipdrop.yaml"
    log:
        **DRAW_REPORT.logs,
    benchmark:
        f"{RESULTS}/benchmarks/draw_report.tsv"
    script:
        "../scripts/draw_report.py"
