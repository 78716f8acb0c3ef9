"""Runs: every training is a run kept on disk, so that it outlives the tab (and the server) that
started it. A run's life, and where each step is:

1. submit: `store.RunStore.submit` checks the settings and the person's limits and writes the run's
   folder (`run.json`, `state.json` = queued; the files: `run_folder`).
2. wait: `run_queue.scan` orders every queued run fairly across workspaces and says when each
   should start (`pace` estimates how long runs take here).
3. hand out: `scheduler.Scheduler.step` gives the next run to a warm `worker` process (on a Ray
   cluster, a `ray_driver` in its place) whenever a training slot is free.
4. claim: `worker.claim` takes the run's lock and a slot's lock; both are held while it trains.
5. train: `worker.execute` loads the data, builds or resumes the model and trains it, while a
   `worker.RunWatcher` writes its metrics, notices Stop and keeps the time limit; each finished
   epoch is checkpointed.
6. end: `store.Run.end` writes the end state (finished, stopped, failed or interrupted), the one
   place a run's end is written. A run whose process died reads as interrupted (`store.Run.status`,
   which never writes); the scheduler writes that down (`store.Run.settle`), and
   `store.RunStore.resume` queues it again from its checkpoint.

Stop, in one meaning: a person's request. `store.RunStore.stop` cancels a queued run (its folder
goes) or asks a training one to stop: it writes the folder's STOP_FILE (`Run.stop_requested`;
on a Ray cluster the driver passes it to the node, `remote.RunSignals`). The watcher sees it
within a second and sets the trainer's `end_early` event, as it does when the time limit passes;
the trainer ends after that batch (`nn.progress.LiveMetrics.halt`, which divergence also sets),
and the run ends stopped, its weights kept.
"""
