from timbre.cli.main import run

run()
