import sys

from coalition_bot.cli import main

sys.exit(main())
