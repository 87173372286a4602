# Thin aliases for dev.sh, which does the set-up on a fresh machine.
.PHONY: run test bench faults dev lint
run:
	./dev.sh run
test:
	./dev.sh test
bench:
	./dev.sh bench
faults:
	./dev.sh faults
dev:
	./dev.sh ui
lint:
	./dev.sh lint
