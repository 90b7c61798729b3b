;; One pass over an ASCII event for the start finders of src/service/_start_finder.ts, 16 bytes at
;; a time (WebAssembly SIMD): the `.`, `:`, `=` and `/` of the event, and what the finders derive
;; from them, the same as the JavaScript functions there (`scanDots`, `scanColons`, `urlStarts`'s
;; `url=` test and `scanHashes`), which still serve events with other characters. Assembled by
;; scripts/anchor_scan_wasm.ts into src/service/_anchor_scan_wasm.ts (a test keeps them equal).
;;
;; Memory (3 pages, offsets in bytes; every list holds i32 positions in the event):
;;   [0, 16)       zero bytes, so that reading before the event's start reads no class
;;   [16, 131058)  the event, one byte a character (at most 131040), then two zero bytes (the
;;                 caller writes them); loads of the event say `offset=16`
;;   131072        LABELS: where a host name's first label can start      (1024)
;;   135168        IPV4: where an IPv4 address can start                   (1024)
;;   139264        COLONS: every colon                                     (1024)
;;   143360        SCHEMES: the colons that start a `://`                  (1024)
;;   151552        HASH_STARTS, 152576 HASH_LENGTHS: the ANY_HASH matches  (256 each)
;;   147456        URL_VALUES: where a value after `url=` (any case) starts (1024)
;;   153600        COUNTS: labels, ipv4, dot before a letter (0/1), colons, schemes, first colon of
;;                 the last `::` (or -1), url values, a `/` seen (0/1), hashes; -1 = more than fit
;;   154624        CLASS: the finders' character classes, 256 bytes (the caller writes them):
;;                 1 digit, 2 hex digit, 4 `[\w-]`, 8 `\w`, 16 letter; read as `offset=154624`
(module
  (memory (export "memory") 3)

  (func (export "scan") (param $n i32)
    (local $i i32) (local $m i32) (local $d i32) (local $c i32) (local $v v128)
    (local $p i32) (local $q i32) (local $digits i32) (local $s i32) (local $len i32)
    (local $labels i32) (local $ipv4 i32) (local $letter i32) (local $colons i32) (local $schemes i32)
    (local $double i32) (local $urls i32) (local $slash i32) (local $hexBlock i32) (local $hashes i32)
    (local.set $double (i32.const -1))
    (block $end
      (loop $blocks
        (br_if $end (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (v128.load offset=16 (local.get $i)))
        ;; A hash is a run of 32 or more hex digits, so it covers a whole aligned block.
        (if (i32.eqz (local.get $hexBlock))
          (then
            (local.set $hexBlock
              (i8x16.all_true
                (v128.or
                  (i8x16.lt_u (i8x16.sub (local.get $v) (i8x16.splat (i32.const 48))) (i8x16.splat (i32.const 10)))
                  (i8x16.lt_u
                    (i8x16.sub (v128.or (local.get $v) (i8x16.splat (i32.const 32))) (i8x16.splat (i32.const 97)))
                    (i8x16.splat (i32.const 6))))))))
        (local.set $m
          (i8x16.bitmask
            (v128.or
              (v128.or
                (i8x16.eq (local.get $v) (i8x16.splat (i32.const 46)))
                (i8x16.eq (local.get $v) (i8x16.splat (i32.const 58))))
              (v128.or
                (i8x16.eq (local.get $v) (i8x16.splat (i32.const 61)))
                (i8x16.eq (local.get $v) (i8x16.splat (i32.const 47)))))))
        (block $bits
          (loop $each
            (br_if $bits (i32.eqz (local.get $m)))
            (local.set $d (i32.add (local.get $i) (i32.ctz (local.get $m))))
            (local.set $m (i32.and (local.get $m) (i32.sub (local.get $m) (i32.const 1))))
            ;; Bits come in ascending order: past the end, the rest are too.
            (br_if $bits (i32.ge_u (local.get $d) (local.get $n)))
            (local.set $c (i32.load8_u offset=16 (local.get $d)))

            ;; `.`: walk back over `[\w-]` (at most 64) for a label start and 1-3 digits for an IPv4 start.
            (if (i32.eq (local.get $c) (i32.const 46))
              (then
                (block $dotDone
                  (if (i32.eqz (local.get $letter))
                    (then
                      (local.set $letter
                        (i32.ne
                          (i32.and (i32.load8_u offset=154624 (i32.load8_u offset=17 (local.get $d))) (i32.const 16))
                          (i32.const 0)))))
                  ;; The 16 characters before the dot, classified at once: the `[\w-]` run ending at
                  ;; the dot is the count of set bits from the top of the mask (more blocks while
                  ;; all 16 are set, up to 64), the digits likewise; zero bytes precede the event.
                  (local.set $v (v128.load (local.get $d)))
                  (local.set $q
                    (i32.xor
                      (i8x16.bitmask (i8x16.lt_u (i8x16.sub (local.get $v) (i8x16.splat (i32.const 48))) (i8x16.splat (i32.const 10))))
                      (i32.const 0xffff)))
                  (local.set $digits
                    (if (result i32) (local.get $q)
                      (then (i32.sub (i32.clz (local.get $q)) (i32.const 16)))
                      (else (i32.const 16))))
                  (local.set $len (i32.const 0))
                  (local.set $p (local.get $d))
                  (block $walked
                    (loop $walk
                      (local.set $q
                        (i32.xor
                          (i8x16.bitmask
                            (v128.or
                              (v128.or
                                (i8x16.lt_u
                                  (i8x16.sub (v128.or (local.get $v) (i8x16.splat (i32.const 32))) (i8x16.splat (i32.const 97)))
                                  (i8x16.splat (i32.const 26)))
                                (i8x16.lt_u (i8x16.sub (local.get $v) (i8x16.splat (i32.const 48))) (i8x16.splat (i32.const 10))))
                              (v128.or
                                (i8x16.eq (local.get $v) (i8x16.splat (i32.const 95)))
                                (i8x16.eq (local.get $v) (i8x16.splat (i32.const 45))))))
                          (i32.const 0xffff)))
                      (if (local.get $q)
                        (then
                          (local.set $len (i32.add (local.get $len) (i32.sub (i32.clz (local.get $q)) (i32.const 16))))
                          (br $walked)))
                      (local.set $len (i32.add (local.get $len) (i32.const 16)))
                      (br_if $walked (i32.ge_s (local.get $len) (i32.const 64)))
                      (local.set $p (i32.sub (local.get $p) (i32.const 16)))
                      (local.set $v (v128.load (local.get $p)))
                      (br $walk)))
                  (local.set $p (i32.sub (local.get $d) (local.get $len)))
                  (if (i32.and
                        (i32.and
                          (i32.lt_s (local.get $p) (local.get $d))
                          (i32.le_s (i32.sub (local.get $d) (local.get $p)) (i32.const 63)))
                        (i32.ge_s (local.get $labels) (i32.const 0)))
                    (then
                      (local.set $q (i32.load8_u offset=15 (local.get $p)))
                      ;; not after . @ / : \
                      (if (i32.eqz
                            (i32.or
                              (i32.or
                                (i32.or (i32.eq (local.get $q) (i32.const 46)) (i32.eq (local.get $q) (i32.const 64)))
                                (i32.or (i32.eq (local.get $q) (i32.const 47)) (i32.eq (local.get $q) (i32.const 58))))
                              (i32.eq (local.get $q) (i32.const 92))))
                        (then
                          (if (i32.eq (local.get $labels) (i32.const 1024))
                            (then (local.set $labels (i32.const -1)))
                            (else
                              (i32.store (i32.add (i32.const 131072) (i32.shl (local.get $labels) (i32.const 2))) (local.get $p))
                              (local.set $labels (i32.add (local.get $labels) (i32.const 1)))))))))
                  (br_if $dotDone
                    (i32.or
                      (i32.or (i32.lt_s (local.get $digits) (i32.const 1)) (i32.gt_s (local.get $digits) (i32.const 3)))
                      (i32.lt_s (local.get $ipv4) (i32.const 0))))
                  (local.set $q (i32.sub (local.get $d) (local.get $digits)))
                  ;; not after `.` or `\w`
                  (if (i32.gt_s (local.get $q) (i32.const 0))
                    (then
                      (local.set $c (i32.load8_u offset=15 (local.get $q)))
                      (br_if $dotDone
                        (i32.or
                          (i32.eq (local.get $c) (i32.const 46))
                          (i32.ne (i32.and (i32.load8_u offset=154624 (local.get $c)) (i32.const 8)) (i32.const 0))))))
                  (if (i32.eq (local.get $ipv4) (i32.const 1024))
                    (then (local.set $ipv4 (i32.const -1)))
                    (else
                      (i32.store (i32.add (i32.const 135168) (i32.shl (local.get $ipv4) (i32.const 2))) (local.get $q))
                      (local.set $ipv4 (i32.add (local.get $ipv4) (i32.const 1))))))
                (br $each)))

            ;; `:`: every colon, the last `::`, and `://`.
            (if (i32.eq (local.get $c) (i32.const 58))
              (then
                (if (i32.ge_s (local.get $colons) (i32.const 0))
                  (then
                    (if (i32.eq (local.get $colons) (i32.const 1024))
                      (then (local.set $colons (i32.const -1)))
                      (else
                        (if (i32.gt_s (local.get $colons) (i32.const 0))
                          (then
                            (if (i32.eq
                                  (i32.load (i32.add (i32.const 139264) (i32.shl (i32.sub (local.get $colons) (i32.const 1)) (i32.const 2))))
                                  (i32.sub (local.get $d) (i32.const 1)))
                              (then (local.set $double (i32.sub (local.get $d) (i32.const 1)))))))
                        (i32.store (i32.add (i32.const 139264) (i32.shl (local.get $colons) (i32.const 2))) (local.get $d))
                        (local.set $colons (i32.add (local.get $colons) (i32.const 1)))
                        (if (i32.and
                              (i32.eq (i32.load8_u offset=17 (local.get $d)) (i32.const 47))
                              (i32.eq (i32.load8_u offset=18 (local.get $d)) (i32.const 47)))
                          (then
                            (i32.store (i32.add (i32.const 143360) (i32.shl (local.get $schemes) (i32.const 2))) (local.get $d))
                            (local.set $schemes (i32.add (local.get $schemes) (i32.const 1)))))))))
                (br $each)))

            ;; `=` after `url` (any case): a value starts after it.
            (if (i32.eq (local.get $c) (i32.const 61))
              (then
                ;; (`i32.and` evaluates both sides: the position test guards the loads with an `if`.)
                (if (i32.and (i32.ge_s (local.get $d) (i32.const 3)) (i32.ge_s (local.get $urls) (i32.const 0)))
                  (then
                (if (i32.and
                      (i32.and
                        (i32.eq (i32.or (i32.load8_u offset=15 (local.get $d)) (i32.const 32)) (i32.const 108))
                        (i32.eq (i32.or (i32.load8_u offset=14 (local.get $d)) (i32.const 32)) (i32.const 114)))
                      (i32.eq (i32.or (i32.load8_u offset=13 (local.get $d)) (i32.const 32)) (i32.const 117)))
                  (then
                    (if (i32.eq (local.get $urls) (i32.const 1024))
                      (then (local.set $urls (i32.const -1)))
                      (else
                        (i32.store (i32.add (i32.const 147456) (i32.shl (local.get $urls) (i32.const 2))) (i32.add (local.get $d) (i32.const 1)))
                        (local.set $urls (i32.add (local.get $urls) (i32.const 1)))))))))
                (br $each)))

            (local.set $slash (i32.const 1))
            (br $each)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $blocks)))

    ;; Hashes: each maximal run of hex digits 32, 40 or 64 long, not after `\w`, `.` or `-`, not
    ;; before `\w`, `-` or `.` and a `\w` (what ANY_HASH matches; the run's neighbours are not hex).
    (if (local.get $hexBlock)
      (then
        (local.set $i (i32.const 0))
        (block $hashesDone
          (loop $runs
            (br_if $hashesDone (i32.ge_u (local.get $i) (local.get $n)))
            (if (i32.eqz (i32.and (i32.load8_u offset=154624 (i32.load8_u offset=16 (local.get $i))) (i32.const 2)))
              (then
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $runs)))
            (local.set $s (local.get $i))
            (loop $run
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $run
                (i32.and
                  (i32.lt_u (local.get $i) (local.get $n))
                  (i32.ne (i32.and (i32.load8_u offset=154624 (i32.load8_u offset=16 (local.get $i))) (i32.const 2)) (i32.const 0)))))
            (local.set $len (i32.sub (local.get $i) (local.get $s)))
            (block $no
              (br_if $no
                (i32.eqz
                  (i32.or
                    (i32.or (i32.eq (local.get $len) (i32.const 32)) (i32.eq (local.get $len) (i32.const 40)))
                    (i32.eq (local.get $len) (i32.const 64)))))
              (br_if $no (i32.lt_s (local.get $hashes) (i32.const 0)))
              (if (i32.gt_s (local.get $s) (i32.const 0))
                (then
                  (local.set $c (i32.load8_u offset=15 (local.get $s)))
                  (br_if $no
                    (i32.or
                      (i32.ne (i32.and (i32.load8_u offset=154624 (local.get $c)) (i32.const 8)) (i32.const 0))
                      (i32.or (i32.eq (local.get $c) (i32.const 46)) (i32.eq (local.get $c) (i32.const 45)))))))
              ;; The byte at the end is a zero when the run ends the event.
              (local.set $c (i32.load8_u offset=16 (local.get $i)))
              (br_if $no
                (i32.or
                  (i32.ne (i32.and (i32.load8_u offset=154624 (local.get $c)) (i32.const 8)) (i32.const 0))
                  (i32.eq (local.get $c) (i32.const 45))))
              (br_if $no
                (i32.and
                  (i32.eq (local.get $c) (i32.const 46))
                  (i32.ne
                    (i32.and (i32.load8_u offset=154624 (i32.load8_u offset=17 (local.get $i))) (i32.const 8))
                    (i32.const 0))))
              (if (i32.eq (local.get $hashes) (i32.const 256))
                (then (local.set $hashes (i32.const -1)))
                (else
                  (i32.store (i32.add (i32.const 151552) (i32.shl (local.get $hashes) (i32.const 2))) (local.get $s))
                  (i32.store (i32.add (i32.const 152576) (i32.shl (local.get $hashes) (i32.const 2))) (local.get $len))
                  (local.set $hashes (i32.add (local.get $hashes) (i32.const 1))))))
            (br $runs)))))

    (i32.store (i32.const 153600) (local.get $labels))
    (i32.store (i32.const 153604) (local.get $ipv4))
    (i32.store (i32.const 153608) (local.get $letter))
    (i32.store (i32.const 153612) (local.get $colons))
    (i32.store (i32.const 153616) (local.get $schemes))
    (i32.store (i32.const 153620) (local.get $double))
    (i32.store (i32.const 153624) (local.get $urls))
    (i32.store (i32.const 153628) (local.get $slash))
    (i32.store (i32.const 153632) (local.get $hashes))))
