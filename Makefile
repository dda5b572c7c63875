# Overture: build, test, demo, install.
#   make            build ./overture
#   make check      install test dependencies (as root), build with sanitizers, run every test
#   make demo       run Overture against a local mail stack with sample enquiries
#   make install    PREFIX=/usr/local DESTDIR= (never overwrites an installed config)

PREFIX    ?= /usr/local
DESTDIR   ?=
BINDIR     = $(PREFIX)/bin
DATADIR    = $(PREFIX)/share/overture
MANDIR     = $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR   ?= /lib/systemd/system

CC       ?= gcc
# make V=1 shows the full commands
Q          = $(if $(V),,@)
PKGS      = libcurl gmime-3.0 sqlite3 uuid libxml-2.0
# Lazy (=): evaluated in recipes, after install-deps has provided pkg-config.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
WARN      = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wno-format-nonliteral
BASE_CFLAGS = -std=c17 -D_GNU_SOURCE -DOVERTURE_DATADIR='"$(DATADIR)"' $(WARN)
CFLAGS   ?= -O2 -g
SAN       = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

SRCS  = $(wildcard src/*.c)
LIB_SRCS = $(filter-out src/main.c,$(SRCS))
HDRS  = $(wildcard src/*.h)
UNIT_SRCS = $(wildcard tests/unit/*.c)

REL_OBJS   = $(patsubst src/%.c,build/rel/%.o,$(SRCS))
CHECK_OBJS = $(patsubst src/%.c,build/check/%.o,$(SRCS))
CHECK_LIB_OBJS = $(patsubst src/%.c,build/check/%.o,$(LIB_SRCS))

.PHONY: all deps test-deps check demo install uninstall clean lint bench fuzz

all: overture

build/.deps: tests/install-deps.sh
	@tests/install-deps.sh
	@mkdir -p build && touch $@

build/.test-deps: tests/install-deps.sh
	@tests/install-deps.sh --test --fuzz
	@mkdir -p build && touch $@

deps: build/.deps

overture: build/.deps $(REL_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $(REL_OBJS) $(PKG_LIBS) $(LDFLAGS)

build/rel/%.o: src/%.c $(HDRS) build/.deps
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

# The check build: sanitizers, and the crash hook the tests use (OVERTURE_CRASH_AFTER).
build/check/%.o: src/%.c $(HDRS) build/.deps
	@mkdir -p $(@D)
	@echo "  CC      $< (check build)"
	$(Q)$(CC) $(BASE_CFLAGS) -O1 -g $(SAN) -DOVERTURE_TEST_HOOKS $(PKG_CFLAGS) -c -o $@ $<

build/check/overture: $(CHECK_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(SAN) -o $@ $(CHECK_OBJS) $(PKG_LIBS)

build/check/unit: $(CHECK_LIB_OBJS) $(UNIT_SRCS) $(HDRS)
	@echo "  LD      $@"
	$(Q)$(CC) $(BASE_CFLAGS) -O1 -g $(SAN) -DOVERTURE_TEST_HOOKS $(PKG_CFLAGS) -Isrc \
		-o $@ $(UNIT_SRCS) $(CHECK_LIB_OBJS) $(PKG_LIBS)

check: build/.test-deps overture build/check/overture build/check/unit build/fuzz/fuzz_mail
	@tests/run
	@FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS) tests/fuzz/run

# The fuzz target: clang, libFuzzer, ASan and UBSan, over parse -> classify -> extract.
#   make fuzz FUZZ_SECONDS=600
FUZZ_SECONDS ?= 300
CHECK_FUZZ_SECONDS ?= 30
FUZZ_SRCS = $(filter-out src/cli.c src/review.c src/daemon.c,$(LIB_SRCS))

build/.fuzz-deps: tests/install-deps.sh
	@tests/install-deps.sh --fuzz
	@mkdir -p build && touch $@

build/fuzz/fuzz_mail: build/.deps build/.fuzz-deps $(FUZZ_SRCS) $(HDRS) tests/fuzz/fuzz_mail.c
	@mkdir -p $(@D)
	@echo "  CLANG   $@"
	$(Q)clang -std=c17 -D_GNU_SOURCE -DOVERTURE_DATADIR='"$(DATADIR)"' -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		$(PKG_CFLAGS) -Isrc -o $@ tests/fuzz/fuzz_mail.c $(FUZZ_SRCS) $(PKG_LIBS)

fuzz: build/fuzz/fuzz_mail
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run

demo: build/.test-deps overture
	@tests/demo.sh

bench: build/.test-deps overture
	@tests/bench/run

install: overture
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/templates \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/overture
	install -m 755 overture $(DESTDIR)$(BINDIR)/overture
	install -m 644 templates/* $(DESTDIR)$(DATADIR)/templates/
	install -m 644 src/overture.1 $(DESTDIR)$(MANDIR)/man1/overture.1
	sed 's|@BINDIR@|$(BINDIR)|g' systemd/overture.service >$(DESTDIR)$(UNITDIR)/overture.service
	sed 's|@BINDIR@|$(BINDIR)|g' systemd/overture@.service >$(DESTDIR)$(UNITDIR)/overture@.service
	@conf=$(DESTDIR)$(SYSCONFDIR)/overture/overture.conf; \
	if [ -e $$conf ]; then \
		echo "kept $$conf; the new example is $$conf.example"; \
		sed 's|@DATADIR@|$(DATADIR)|g' src/overture.conf.example >$$conf.example; \
	else \
		sed 's|@DATADIR@|$(DATADIR)|g' src/overture.conf.example >$$conf; chmod 640 $$conf; \
	fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/overture $(DESTDIR)$(MANDIR)/man1/overture.1 \
		$(DESTDIR)$(UNITDIR)/overture.service $(DESTDIR)$(UNITDIR)/overture@.service
	rm -rf $(DESTDIR)$(DATADIR)

lint:
	clang-format --dry-run --Werror src/*.c src/*.h tests/unit/*.c
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--suppress=missingIncludeSystem -D_GNU_SOURCE src

clean:
	rm -rf build overture
