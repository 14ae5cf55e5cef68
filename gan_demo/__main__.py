from gan_demo.cli import main

raise SystemExit(main())
