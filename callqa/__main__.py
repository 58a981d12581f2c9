import sys

from callqa.cli import main

sys.exit(main())
