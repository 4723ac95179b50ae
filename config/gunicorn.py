"""gunicorn's settings for the site (`gunicorn -c config/gunicorn.py config.wsgi`), as `./run.sh demo`
serves it and `benchmarks/load.py` measures it.

Two processes of four threads: the site's Python holds one core per process (the GIL), so more
processes than cores only add memory. `worker_connections` is kept just above `threads`: a gthread
process accepts every connection it can while the others sleep, and under a burst of visitors one
process took 98 of 104 POSTs while the other idled (measured with `benchmarks/load.py`). With room
for only a few connections beyond those its threads are serving, a busy process leaves the rest in
the listen queue for the idle one. Its two spare slots keep browsers' idle keep-alive connections.
"""
workers = 2
threads = 4
worker_connections = threads + 2
wsgi_app = "config.wsgi"
