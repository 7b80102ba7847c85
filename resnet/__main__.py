import sys

from resnet.cli.main import main

sys.exit(main())
