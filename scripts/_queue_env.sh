# Sourced by the queue scripts (phi4_queue.sh, fidelity_queue.sh), after
# _venv.sh. Live logs: each seed or arm runs in a child process of its own.
export PYTHONUNBUFFERED=1
# One TensorFlow thread per process: the two queues share 2 cores, and two
# thread pools each 2 wide make a phi^4 step 1.2x slower (79.8 vs 64.6 ms at
# L = 8 beside the other queue). Set TF_NUM_INTRAOP_THREADS to override.
export TF_NUM_INTRAOP_THREADS="${TF_NUM_INTRAOP_THREADS:-1}"
export TF_NUM_INTEROP_THREADS="${TF_NUM_INTEROP_THREADS:-1}"
