# The body of every notebook job (after the #PBS or #SBATCH directives, which come from
# the form and may not appear here). Placeholders are filled with shell-quoted values:
# {{exports}} (JupyterHub's variables, the API token among them), {{working_dir}},
# {{command}}, {{user}}, {{job_name}}.
set -e
module purge
module load anaconda3/2023.09-0
# The user's conda environments appear as kernels (nb_conda_kernels in the base env).
source activate jupyter-6
export JUPYTER_RUNTIME_DIR="${TMPDIR:-/tmp}/jupyter-runtime-$PBS_JOBID$SLURM_JOB_ID"
{{exports}}
cd {{working_dir}}
exec {{command}}
