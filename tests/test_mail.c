/* The mail cleaner (tasks/mail.h) on hand-written messages. Each expected
 * text is worked out by hand from the rules in mail.h: Subject (RFC 2047
 * decoded) + " " + the chosen body text, entities and transfer encodings
 * decoded (base64 strings computed with Python's base64 module), white space
 * runs collapsed to one space, trimmed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail.h"
#include "testutil.h"

/* pb_mail_text of the NUL-terminated mail must be exactly want. */
#define CHECK_MAIL(mail, want)                                                                                         \
    do {                                                                                                               \
        char *got_ = NULL;                                                                                             \
        assert_int_equal(pb_mail_text((mail), strlen(mail), &got_), 0);                                                \
        assert_non_null(got_);                                                                                         \
        assert_string_equal(got_, (want));                                                                             \
        free(got_);                                                                                                    \
    } while (0)

static void test_plain(void **state) {
    (void)state;
    CHECK_MAIL("From someone@example.com  Thu Aug 22 12:36:23 2002\n"
               "Return-Path: <a@b.c>\n"
               "Received: from x (x [1.2.3.4])\n"
               "\tby y with ESMTP; Thu, 22 Aug 2002 12:36:16 +0100\n"
               "Subject: Hello world\n"
               "From: A <a@b.c>\n"
               "\n"
               "First line.\n"
               "\n"
               "Second\tline  here.\n",
               "Hello world First line. Second line here.");
    /* CRLF line ends; no Subject */
    CHECK_MAIL("From: a@b.c\r\nTo: d@e.f\r\n\r\nOnly\r\nbody\r\n", "Only body");
    /* empty input, headers with empty Subject */
    CHECK_MAIL("", "");
    CHECK_MAIL("Subject:   \n\n  \n", "");
}

static void test_folded_subject(void **state) {
    (void)state;
    /* unfolding drops the line breaks and keeps the white space after them */
    CHECK_MAIL("Subject: A long\n\tsubject line\n   continued\nX-Other: value\n  more value\n\nBody.",
               "A long subject line continued Body.");
    /* the first Subject counts */
    CHECK_MAIL("Subject: first\nSubject: second\n\nb", "first b");
}

static void test_rfc2047_q(void **state) {
    (void)state;
    /* latin-1 Q: =E9 is e-acute; "_" is a space; the space between the two encoded-words is
     * dropped; the second is UTF-8 (E2 82 AC = euro sign) */
    CHECK_MAIL("Subject: =?iso-8859-1?Q?Caf=E9_au_lait?= =?utf-8?q?_=E2=82=AC5?= now\n\nx",
               "Caf\xc3\xa9 au lait \xe2\x82\xac"
               "5 now x");
    /* malformed encoded-words stay literal; text next to a word keeps its space */
    CHECK_MAIL("Subject: a =?utf-8?x?abc?= b =?utf-8?q?no end\n\n", "a =?utf-8?x?abc?= b =?utf-8?q?no end");
    CHECK_MAIL("Subject: Re:=?us-ascii?Q?x?= y\n\n", "Re:x y");
}

static void test_rfc2047_b(void **state) {
    (void)state;
    /* "SGVsbG8gd29ybGQ=" = base64("Hello world") */
    CHECK_MAIL("Subject: Re: =?UTF-8?B?SGVsbG8gd29ybGQ=?=\n\nbody", "Re: Hello world body");
    /* other charsets keep their bytes: koi8-r F0 F2 are not UTF-8, so each becomes U+FFFD;
     * latin-1 B: "Y2Fm6Q==" = base64("caf\xe9") */
    static const char want[] = "\xef\xbf\xbd\xef\xbf\xbd"
                               "caf\xc3\xa9";
    CHECK_MAIL("Subject: =?koi8-r?B?8PI=?= =?ISO-8859-1?B?Y2Fm6Q==?=\n\n", want);
}

static void test_quoted_printable(void **state) {
    (void)state;
    CHECK_MAIL("Subject: qp\n"
               "Content-Type: text/plain; charset=utf-8\n"
               "Content-Transfer-Encoding: Quoted-Printable\n"
               "\n"
               "This is a long line that is bro=\n"
               "ken here, caf=C3=A9 =3D equal=20\n"
               "end = not hex=\r\n"
               " done=",
               "qp This is a long line that is broken here, caf\xc3\xa9 = equal end = not hex done");
}

static void test_base64_body(void **state) {
    (void)state;
    /* "SGVsbG8sIGJhc2U2NCB3b3JsZCE=" = base64("Hello, base64 world!"), split over lines */
    CHECK_MAIL("Subject: b64\nContent-Transfer-Encoding: base64\n\nSGVsbG8sIGJhc2U2\r\nNCB3b3JsZCE=\n",
               "b64 Hello, base64 world!");
}

static void test_alternative_prefers_plain(void **state) {
    (void)state;
    CHECK_MAIL("Subject: alt\n"
               "MIME-Version: 1.0\n"
               "Content-Type: multipart/alternative; boundary=\"XX\"\n"
               "\n"
               "preamble text\n"
               "--XX\n"
               "Content-Type: text/html\n"
               "\n"
               "<p>HTML version</p>\n"
               "--XX\n"
               "Content-Type: text/plain; charset=us-ascii\n"
               "\n"
               "Plain version\n"
               "--XX--\n"
               "epilogue\n",
               "alt Plain version");
    /* without a text/plain alternative the HTML one is taken */
    CHECK_MAIL("Subject: alt2\n"
               "Content-Type: multipart/alternative; boundary=XX\n"
               "\n"
               "--XX\n"
               "Content-Type: image/png\n"
               "\n"
               "PNG\n"
               "--XX\n"
               "Content-Type: text/html\n"
               "\n"
               "<p>Only html</p>\n"
               "--XX--\n",
               "alt2 Only html");
}

static void test_mixed_with_attachment(void **state) {
    (void)state;
    /* boundary on a folded line; attachment, image and nested html alternative skipped */
    CHECK_MAIL("Subject: mixed\n"
               "Content-Type: multipart/mixed;\n"
               " boundary=b1\n"
               "\n"
               "--b1\n"
               "Content-Type: text/plain\n"
               "\n"
               "Part one.\n"
               "--b1\n"
               "Content-Type: text/plain; name=\"notes.txt\"\n"
               "Content-Disposition: attachment; filename=\"notes.txt\"\n"
               "\n"
               "secret attachment\n"
               "--b1\n"
               "Content-Type: image/gif\n"
               "Content-Transfer-Encoding: base64\n"
               "\n"
               "R0lGODlh\n"
               "--b1\n"
               "Content-Type: multipart/alternative; boundary=\"b2\"\n"
               "\n"
               "--b2\n"
               "Content-Type: text/plain\n"
               "\n"
               "Nested plain.\n"
               "--b2\n"
               "Content-Type: text/html\n"
               "\n"
               "<b>Nested html</b>\n"
               "--b2--\n"
               "--b1\n"
               "Content-Type: message/rfc822\n"
               "\n"
               "Subject: Forwarded\n"
               "\n"
               "Inner body.\n"
               "--b1--\n",
               "mixed Part one. Nested plain. Forwarded Inner body.");
}

static void test_html_only(void **state) {
    (void)state;
    /* style and script contents and the comment dropped; <b> is inline (no space), <p>, <br>
     * separate words; &eacute; is not among the decoded entities and stays; &#36; = "$",
     * &#x263A; = U+263A (E2 98 BA) */
    CHECK_MAIL("Subject: html\n"
               "Content-Type: text/html; charset=\"utf-8\"\n"
               "\n"
               "<html><head><style type=\"text/css\">p { color: red; }</style><title>T</title></head>\n"
               "<body><!-- a <p>comment</p> --><p>Fish &amp; chips &lt;3&gt; &quot;fresh&quot;&nbsp;now</p>"
               "<p>Price: &#36;5 &#x263A; caf&eacute; AT&T</p>\n"
               "<script>var x = \"<p>no</p>\";</script><b>Bo</b>ld<br>end<a href=\"x>y\">!</a> 1 < 2</body></html>",
               "html T Fish & chips <3> \"fresh\" now Price: $5 \xe2\x98\xba caf&eacute; AT&T Bold end! 1 < 2");
}

/* numeric references: 4-byte UTF-8 (U+1F600 = F0 9F 98 80); NUL, a surrogate and beyond U+10FFFF
 * become U+FFFD; 128-159 are read as windows-1252 (&#150; = en dash) as browsers do */
static void test_html_numeric(void **state) {
    (void)state;
    CHECK_MAIL("Content-Type: text/html\n\n&#x1F600;|&#0;|&#xD800;|&#99999999;|&#150;|&#65",
               "\xf0\x9f\x98\x80|\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd|\xe2\x80\x93|A");
}

static void test_latin1(void **state) {
    (void)state;
    /* F6 = o-umlaut, FC = u-umlaut, DF = sharp s; 0x80 and 0x96 as windows-1252: euro, en dash */
    CHECK_MAIL("Subject: =?ISO-8859-1?Q?Gr=FC=DFe?=\n"
               "Content-Type: text/plain; charset=ISO-8859-1\n"
               "Content-Transfer-Encoding: quoted-printable\n"
               "\n"
               "Sch=F6ne Gr=FC=DFe, 5=80 =96 bye\n",
               "Gr\xc3\xbc\xc3\x9f"
               "e Sch\xc3\xb6ne Gr\xc3\xbc\xc3\x9f"
               "e, 5\xe2\x82\xac \xe2\x80\x93 bye");
    /* raw 8-bit latin-1 byte E9 converted; a latin-1 part that is already valid UTF-8 is kept */
    CHECK_MAIL("Content-Type: text/plain; charset=\"windows-1252\"\nContent-Transfer-Encoding: 8bit\n\ncaf\xe9\n",
               "caf\xc3\xa9");
    CHECK_MAIL("Content-Type: text/plain; charset=iso-8859-1\n\ncaf\xc3\xa9 \xef\xbf\xbd\n",
               "caf\xc3\xa9 \xef\xbf\xbd");
    /* invalid UTF-8 without a charset: one U+FFFD per bad byte; NBSP and controls are white space */
    CHECK_MAIL("\nA\xff\xc3 B\xc2\xa0\x01 C", "A\xef\xbf\xbd\xef\xbf\xbd B C");
}

static void test_no_blank_line(void **state) {
    (void)state;
    /* the first line that is not a header field starts the body */
    CHECK_MAIL("Subject: no blank\nFrom: a@b\nThis line is body.\nSecond: looks like a header\n",
               "no blank This line is body. Second: looks like a header");
    /* headers only: empty body */
    CHECK_MAIL("Subject: only headers\nFrom: a@b", "only headers");
    /* no headers at all */
    CHECK_MAIL("Just some text\nover two lines", "Just some text over two lines");
}

static void test_missing_boundary(void **state) {
    (void)state;
    /* no boundary parameter: the first "--" line gives it */
    CHECK_MAIL("Subject: nob\n"
               "Content-Type: multipart/mixed\n"
               "\n"
               "This is a multi-part message.\n"
               "--zz\n"
               "Content-Type: text/plain\n"
               "\n"
               "Inner text.\n"
               "--zz--\n",
               "nob Inner text.");
    /* a boundary that never occurs: the body is read as text */
    CHECK_MAIL("Subject: q\nContent-Type: multipart/mixed; boundary=qq\n\nJust text.\n--other\n",
               "q Just text. --other");
    /* no close delimiter: the last part runs to the end */
    CHECK_MAIL("Content-Type: multipart/mixed; boundary=k\n\n--k\n\nfirst\n--k\nContent-Type: text/plain\n\nsecond",
               "first second");
    /* no Content-Type at all, MIME all the same (as much spam is): sniffed */
    CHECK_MAIL(
        "Subject: s\n\nThis is a MIME message\n--=_b\nContent-Type: text/html\n\n<p>Hi&nbsp;there</p>\n--=_b--\n",
        "s Hi there");
    CHECK_MAIL("Subject: s\n\n<x-html>\n<HTML><BODY>Cheap &amp; fast</BODY></HTML>", "s Cheap & fast");
}

static void test_truncated_base64(void **state) {
    (void)state;
    /* "SGVsbG8gd29y" = base64("Hello wor"); a trailing lone character is dropped, two give one
     * byte ("bA" -> "l"); characters outside the alphabet are skipped */
    CHECK_MAIL("Content-Transfer-Encoding: base64\n\nSGVsbG8gd29yb", "Hello wor");
    CHECK_MAIL("Content-Transfer-Encoding: base64\n\nSGVs!bG8g*d29ybA", "Hello worl");
    /* base64 of bytes that are not UTF-8 (F0 F2): replaced */
    CHECK_MAIL("Content-Transfer-Encoding: base64\n\n8PI=", "\xef\xbf\xbd\xef\xbf\xbd");
}

static void test_arguments(void **state) {
    (void)state;
    char *out = NULL;
    assert_int_equal(pb_mail_text(NULL, 0, &out), 0);
    assert_string_equal(out, "");
    free(out);
    assert_int_equal(pb_mail_text("x", 1, NULL), PB_EINVAL);
    assert_int_equal(pb_mail_text(NULL, 3, &out), PB_EINVAL);
    /* len bounds the input: no NUL needed, bytes after len unread */
    assert_int_equal(pb_mail_text("Subject: ab\n\nbody and more", 18, &out), 0);
    assert_string_equal(out, "ab body");
    free(out);
}

/* Every prefix of a complex mail, and a few thousand random byte strings: never a failure, and
 * the output is valid UTF-8 without tabs, line breaks or double spaces. */
static void check_clean(const char *s) {
    size_t n = strlen(s);
    assert_true(n == 0 || (s[0] != ' ' && s[n - 1] != ' '));
    for (size_t i = 0; i < n; i++) {
        assert_true((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
        assert_false(s[i] == ' ' && s[i + 1] == ' ');
    }
    for (size_t i = 0; i < n;) {
        const unsigned char c = (unsigned char)s[i];
        size_t k = c < 0x80                 ? 1
                   : c >= 0xC2 && c <= 0xDF ? 2
                   : c >= 0xE0 && c <= 0xEF ? 3
                   : c >= 0xF0 && c <= 0xF4 ? 4
                                            : 0;
        assert_true(k > 0 && i + k <= n);
        for (size_t j = 1; j < k; j++) assert_int_equal((unsigned char)s[i + j] & 0xC0, 0x80);
        i += k;
    }
}

static void test_robust(void **state) {
    (void)state;
    static const char MAIL[] =
        "Subject: =?utf-8?B?SGk=?= =?iso-8859-1?q?x=FF?=\n"
        "Content-Type: multipart/mixed; boundary=\"a\"\n\n"
        "--a\nContent-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/html; charset=cp1252\n"
        "Content-Transfer-Encoding: quoted-printable\n\n<p>x=E9&#x1F600;&#0;&#xD800;&#99999999;<style>a\n--b\n"
        "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\nSGVsbG8=\n--b--\n--a\n"
        "Content-Type: message/rfc822\n\nSubject: in\nContent-Type: text/html\n\n<!-- open comment\n--a--\n";
    const size_t n = sizeof MAIL - 1;
    for (size_t k = 0; k <= n; k++) {
        char *copy = malloc(k ? k : 1), *out = NULL;
        assert_non_null(copy);
        memcpy(copy, MAIL, k);
        assert_int_equal(pb_mail_text(copy, k, &out), 0);
        check_clean(out);
        free(out);
        free(copy);
    }
    char *out = NULL;
    assert_int_equal(pb_mail_text(MAIL, n, &out), 0);
    /* "Hi" + "x" + U+00FF; the plain alternative "Hello"; the forwarded Subject "in" */
    assert_string_equal(out, "Hix\xc3\xbf Hello in");
    free(out);
    uint64_t r = 88172645463325252ULL;
    static const char ALPHA[] = "=?_-:;\n\r\t <>&#x\"'/BQbqabcXYZ0123456789\xc3\xa9\xff\x80";
    char buf[256];
    for (int t = 0; t < 3000; t++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        const size_t len = (size_t)(r % sizeof buf);
        for (size_t i = 0; i < len; i++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            buf[i] = ALPHA[r % (sizeof ALPHA - 1)];
        }
        assert_int_equal(pb_mail_text(buf, len, &out), 0);
        check_clean(out);
        free(out);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_folded_subject),
        cmocka_unit_test(test_rfc2047_q),
        cmocka_unit_test(test_rfc2047_b),
        cmocka_unit_test(test_quoted_printable),
        cmocka_unit_test(test_base64_body),
        cmocka_unit_test(test_alternative_prefers_plain),
        cmocka_unit_test(test_mixed_with_attachment),
        cmocka_unit_test(test_html_only),
        cmocka_unit_test(test_html_numeric),
        cmocka_unit_test(test_latin1),
        cmocka_unit_test(test_no_blank_line),
        cmocka_unit_test(test_missing_boundary),
        cmocka_unit_test(test_truncated_base64),
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_robust),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
