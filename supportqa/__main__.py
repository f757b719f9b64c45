from supportqa.cli import main

main()
