from mava_bridge.cli import main

raise SystemExit(main())
