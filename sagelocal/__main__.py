from sagelocal.cli import main

raise SystemExit(main())
