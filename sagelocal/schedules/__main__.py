import sys

from sagelocal.schedules.cli import main

sys.exit(main())
