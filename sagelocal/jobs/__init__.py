"""What runs each SageMaker job type offline: a job folder stands for the container's /opt/ml, and the
job's program runs in a subprocess, as it would in its container."""
