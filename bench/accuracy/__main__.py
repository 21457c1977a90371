from bench.accuracy.suite import main

raise SystemExit(main())
