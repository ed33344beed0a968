/*
 * The launcher at the front of dist/aws-wif-helper: chooses where the bundle
 * may unpack, then runs the bundle.
 *
 * The file is this small static program, then the bundle (the one-file
 * PyInstaller program wrapped by staticx), then a trailer:
 *
 *     [launcher][bundle][8 bytes "AWSWIFH2"][8 bytes: bundle offset, little-endian]
 *                       [16 bytes: the start of the bundle's SHA-256, naming the build]
 *
 * The bundle unpacks itself under TMPDIR and runs code from there, which
 * cannot work on a `noexec` mount. So the launcher points TMPDIR at the first
 * folder that allows it (build/README.md, "Unpack folder"):
 *
 *   1. AWS_WIF_HELPER_UNPACK_DIR, when set: that folder or nothing;
 *   2. else the first usable one of TMPDIR, /tmp, /var/tmp, /dev/shm,
 *      XDG_RUNTIME_DIR and $XDG_CACHE_HOME/aws-wif-helper (created 0700;
 *      XDG_CACHE_HOME defaults to $HOME/.cache).
 *
 * Usable means: an absolute path to a folder this user can write, on a mount
 * without `noexec`, with room for the run; its real path (symbolic links
 * resolved) is UTF-8, at most 225 bytes long, and neither it nor a folder
 * above it can be changed by another user (owned by this user or root, and
 * not writable by others unless sticky). The bundle runs from a copy in that
 * folder: it cannot run from memory, because staticx's bootloader needs a real
 * path for its own file. The launcher keeps one copy per user and build,
 * `.aws-wif-helper-kept-UID-BUILD` (0700), and runs it again while it is
 * whole and only this user can change it, which saves writing 11 MB on every
 * run. A whole kept copy is never replaced or removed while a run may be
 * starting from it (staticx's bootloader looks its own name up after
 * unpacking): a new one is put in place only where none is, and making one
 * removes this user's copies of other builds that no run holds a lock on.
 * Where it cannot keep one (a file of another user's has the name), it runs a
 * copy of its own, `.aws-wif-helper-launch-*`, which the helper deletes as
 * soon as it starts.
 *
 * What the helper needs to know comes in variables: AWS_WIF_HELPER_CALLER_TMPDIR
 * (the caller's TMPDIR, empty when it had none; set only when the launcher
 * changed it) and AWS_WIF_HELPER_LAUNCH_COPY (the copy to delete), which
 * build/frozen_runtime.py acts on and removes at start; AWS_WIF_HELPER_PROGRAM
 * (this file, for create-config) and AWS_WIF_HELPER_LAUNCH_PID (the run's
 * first process, for the deadline), which the helper reads.
 *
 * When no folder will do, the launcher answers itself: in protocol mode (as
 * the helper decides it: one of the client's request variables is set and the
 * first argument is not a command for people) with one failure response on
 * stdout and exit status 0, like the helper; otherwise with a message on
 * stderr and exit status 1. It never reads stdin.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define TRAILER_MAGIC "AWSWIFH2"
#define TRAILER_SIZE 32
#define BUILD_ID_BYTES 16
#define PROGRAM_NAME "aws-wif-helper"
#define COPY_PREFIX ".aws-wif-helper-launch-"
#define KEPT_PREFIX ".aws-wif-helper-kept-"
/*
 * staticx's bootloader writes TMPDIR/staticx-XXXXXX/.staticx.interp into a
 * 256-byte program header: a longer TMPDIR fails with "Current INTERP too small".
 */
#define FOLDER_MAX_LENGTH 225
/*
 * A run holds the copy, staticx's folder and PyInstaller's at once: about 3.4
 * times the bundle's size, measured (11 MB bundle, 37 MB), and 58 files.
 */
#define ROOM_PER_BUNDLE_BYTE 4
#define FILES_NEEDED 256
/*
 * A kept copy is compared with the bundle in this many blocks, spread evenly
 * from its first to its last: data lost in a crash reads as zeros, and a copy
 * that lost any would fail every run. (All 11 MB would cost about as much as
 * writing a new copy; these cost some 50 microseconds.)
 */
#define SAMPLE_BLOCKS 33
#define SAMPLE_BLOCK_SIZE 4096
#define FOLDER_ERROR "UNPACK_FOLDER_UNAVAILABLE"
#define LAUNCH_ERROR "LAUNCH_FAILED"

extern char **environ;

/* What the helper counts as protocol mode: helper/request.py, PROTOCOL_VARIABLES. */
static const char *const protocol_variables[] = {
    "GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE",      "GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE",
    "GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE",   "GOOGLE_EXTERNAL_ACCOUNT_INTERACTIVE",
    "GOOGLE_EXTERNAL_ACCOUNT_IMPERSONATED_EMAIL", "GOOGLE_EXTERNAL_ACCOUNT_REVOKE",
};
/* The helper's commands for people, which answer on stderr whatever is set (helper/cli.py). */
static const char *const people_commands[] = {"token", "create-config", "doctor"};

/* The first argument, for protocol_mode(); NULL when there is none. */
static const char *first_argument;

struct bundle {
    int file;
    off_t offset;
    off_t length;
    char build[2 * BUILD_ID_BYTES + 1]; /* hexadecimal */
};

/* ---- answering when the launcher cannot go on ---- */

static int protocol_mode(void)
{
    size_t commands = sizeof people_commands / sizeof people_commands[0];
    size_t variables = sizeof protocol_variables / sizeof protocol_variables[0];

    for (size_t index = 0; first_argument && index < commands; index++) {
        if (strcmp(first_argument, people_commands[index]) == 0) {
            return 0;
        }
    }
    for (size_t index = 0; index < variables; index++) {
        if (getenv(protocol_variables[index])) {
            return 1;
        }
    }
    return 0;
}

/* `text` as the inside of a JSON string, ASCII only: anything else becomes '?'. */
static void write_json_text(FILE *stream, const char *text)
{
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        if (*c == '"' || *c == '\\') {
            fprintf(stream, "\\%c", *c);
        } else if (*c < 0x20) {
            fprintf(stream, "\\u%04x", *c);
        } else if (*c > 0x7e) {
            fputc('?', stream);
        } else {
            fputc(*c, stream);
        }
    }
}

/* Answer with `code` and `message` and end the run; see the file's comment for how. */
static void give_up(const char *code, const char *message)
{
    if (protocol_mode()) {
        fputs("{\"version\": 1, \"success\": false, \"code\": \"", stdout);
        fputs(code, stdout);
        fputs("\", \"message\": \"", stdout);
        write_json_text(stdout, message);
        fputs("\"}\n", stdout);
        fflush(stdout);
        _exit(0);
    }
    fprintf(stderr, "%s: %s\n", PROGRAM_NAME, message);
    _exit(1);
}

/* ---- the bundle inside this file ---- */

static struct bundle find_bundle(void)
{
    struct bundle bundle = {.file = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)};
    struct stat status;
    unsigned char trailer[TRAILER_SIZE];

    if (bundle.file < 0 || fstat(bundle.file, &status) != 0 || status.st_size < TRAILER_SIZE) {
        give_up(LAUNCH_ERROR,
                "The launcher cannot read its own file (/proc/self/exe); run it from a readable "
                "file on a system with /proc mounted.");
    }

    off_t trailer_at = status.st_size - TRAILER_SIZE;
    if (pread(bundle.file, trailer, TRAILER_SIZE, trailer_at) != TRAILER_SIZE ||
        memcmp(trailer, TRAILER_MAGIC, 8) != 0) {
        give_up(LAUNCH_ERROR,
                "The file is damaged (no bundle at its end); download or build it again and "
                "compare it with aws-wif-helper.sha256.");
    }

    uint64_t offset = 0;
    for (int byte = 7; byte >= 0; byte--) {
        offset = offset << 8 | trailer[8 + byte];
    }
    if (offset == 0 || offset >= (uint64_t)trailer_at) {
        give_up(LAUNCH_ERROR,
                "The file is damaged (bad bundle offset); download or build it again and compare "
                "it with aws-wif-helper.sha256.");
    }

    bundle.offset = (off_t)offset;
    bundle.length = trailer_at - (off_t)offset;
    for (int byte = 0; byte < BUILD_ID_BYTES; byte++) {
        snprintf(bundle.build + 2 * byte, 3, "%02x", trailer[16 + byte]);
    }
    return bundle;
}

/* Copy the bundle into `target`, from its start; 0 on success. */
static int copy_bundle(const struct bundle *bundle, int target)
{
    off_t from = bundle->offset;
    off_t left = bundle->length;

    if (ftruncate(target, left) != 0) {
        return -1;
    }
    while (left > 0) {
        ssize_t copied = sendfile(target, bundle->file, &from, (size_t)left);
        if (copied < 0 && errno == EINTR) {
            continue;
        }
        if (copied <= 0) {
            return -1;
        }
        left -= copied;
    }
    return 0;
}

/* ---- the unpack folder ---- */

/* Whether `text` is valid UTF-8 (no overlong forms, no surrogates), as Python decodes it. */
static int is_utf8(const char *text)
{
    static const unsigned long least[] = {0, 0x80, 0x800, 0x10000};
    const unsigned char *c = (const unsigned char *)text;

    while (*c) {
        int follow = *c < 0x80 ? 0 : (*c & 0xe0) == 0xc0 ? 1 : (*c & 0xf0) == 0xe0 ? 2
                   : (*c & 0xf8) == 0xf0 ? 3 : -1;
        if (follow < 0) {
            return 0;
        }
        unsigned long code = *c++ & (0x7f >> follow);
        for (int byte = 0; byte < follow; byte++, c++) {
            if ((*c & 0xc0) != 0x80) {
                return 0;
            }
            code = code << 6 | (*c & 0x3f);
        }
        if (code < least[follow] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
            return 0;
        }
    }
    return 1;
}

/*
 * Whether another user could change `folder` (a real path) or a folder above
 * it, and so swap the copy or an unpacked library before it runs: one of them
 * is owned by someone other than this user or root, or writable by everyone
 * without the sticky bit. (Group-writable folders are the group's choice.)
 */
static int others_may_change(const char *folder)
{
    char prefix[PATH_MAX];
    size_t length = strlen(folder);

    for (size_t end = 0; end <= length; end++) {
        if (end < length && folder[end] != '/') {
            continue;
        }
        size_t take = end ? end : 1;
        struct stat status;
        memcpy(prefix, folder, take);
        prefix[take] = '\0';
        if (stat(prefix, &status) != 0) {
            return 1;
        }
        if (status.st_uid != 0 && status.st_uid != geteuid()) {
            return 1;
        }
        if ((status.st_mode & S_IWOTH) && !(status.st_mode & S_ISVTX)) {
            return 1;
        }
    }
    return 0;
}

/*
 * Why `folder` cannot hold a run of a bundle of `bundle_length` bytes, or NULL
 * when it can; then `real` holds its real path, the one to use.
 */
static const char *unusable(const char *folder, off_t bundle_length, char real[PATH_MAX])
{
    static char room[128];
    struct stat status;
    struct statvfs mount;
    unsigned long long needed = (unsigned long long)bundle_length * ROOM_PER_BUNDLE_BYTE;

    if (folder[0] != '/') {
        return "is not an absolute path";
    }
    if (stat(folder, &status) != 0) {
        return errno == ENOENT ? "does not exist" : "cannot be inspected";
    }
    if (!S_ISDIR(status.st_mode)) {
        return "is not a folder";
    }
    if (access(folder, W_OK | X_OK) != 0) {
        return "is not writable by this user";
    }
    if (!realpath(folder, real)) {
        return "cannot be inspected";
    }
    if (strlen(real) > FOLDER_MAX_LENGTH) {
        return "has a real path longer than 225 bytes, too long for the bundle's loader";
    }
    if (!is_utf8(real)) {
        return "has a real path that is not UTF-8, which the bundled Python cannot use";
    }
    if (others_may_change(real)) {
        return "can be changed by other users (it or a folder above it belongs to another "
               "user, or everyone may write there without the sticky bit)";
    }
    if (statvfs(real, &mount) != 0) {
        return "cannot be inspected";
    }
    if (mount.f_flag & ST_NOEXEC) {
        return "is on a noexec mount";
    }
    unsigned long long block = mount.f_frsize ? mount.f_frsize : mount.f_bsize;
    if ((unsigned long long)mount.f_bavail * block < needed ||
        (mount.f_files != 0 && mount.f_favail < FILES_NEEDED)) {
        snprintf(room, sizeof room, "has too little free space (a run needs about %llu MB)",
                 (needed >> 20) + 1);
        return room;
    }
    return NULL;
}

/* $XDG_CACHE_HOME/aws-wif-helper (else $HOME/.cache/...), created 0700; NULL without HOME. */
static const char *cache_folder(void)
{
    static char path[PATH_MAX];
    const char *cache = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int length;

    if (cache && cache[0] == '/') {
        length = snprintf(path, sizeof path, "%s", cache);
    } else if (home && home[0] == '/') {
        length = snprintf(path, sizeof path, "%s/.cache", home);
    } else {
        return NULL;
    }
    if (length <= 0 || (size_t)length + sizeof "/" PROGRAM_NAME > sizeof path) {
        return NULL;
    }

    mkdir(path, 0700);
    strcat(path, "/" PROGRAM_NAME);
    mkdir(path, 0700);
    return path;
}

static const char *choose_folder(off_t bundle_length)
{
    static char message[PATH_MAX + 4096];
    static char real[PATH_MAX];
    const char *chosen = getenv("AWS_WIF_HELPER_UNPACK_DIR");

    if (chosen && chosen[0]) {
        const char *why = unusable(chosen, bundle_length, real);
        if (why) {
            snprintf(message, sizeof message,
                     "AWS_WIF_HELPER_UNPACK_DIR (%.*s) %s; point it at a folder of this user's on "
                     "a mount that allows running programs, or unset it.",
                     PATH_MAX, chosen, why);
            give_up(FOLDER_ERROR, message);
        }
        return real;
    }

    /* Each candidate as named in the message, and its path (NULL when unset). */
    const char *candidates[][2] = {
        {"TMPDIR", getenv("TMPDIR")}, {"/tmp", "/tmp"}, {"/var/tmp", "/var/tmp"},
        {"/dev/shm", "/dev/shm"}, {"XDG_RUNTIME_DIR", getenv("XDG_RUNTIME_DIR")},
        {"the cache folder", NULL},
    };
    size_t count = sizeof candidates / sizeof candidates[0];
    static char reasons[4096];
    size_t used = 0;

    for (size_t index = 0; index < count; index++) {
        const char *name = candidates[index][0];
        const char *candidate = index == count - 1 ? cache_folder() : candidates[index][1];
        if (!candidate || !candidate[0]) {
            continue;
        }
        const char *why = unusable(candidate, bundle_length, real);
        if (!why) {
            return real;
        }
        if (used < sizeof reasons) { /* the message names each folder and why it will not do */
            int length = strcmp(name, candidate) == 0
                             ? snprintf(reasons + used, sizeof reasons - used, "%s %s; ", name, why)
                             : snprintf(reasons + used, sizeof reasons - used, "%s (%.200s) %s; ",
                                        name, candidate, why);
            used += length > 0 ? (size_t)length : 0;
        }
    }

    snprintf(message, sizeof message,
             "No folder to unpack into: %.3000sset AWS_WIF_HELPER_UNPACK_DIR to a folder of this "
             "user's on a mount that allows running programs (for example "
             "/var/lib/aws-wif-helper, mode 0700).",
             reasons);
    give_up(FOLDER_ERROR, message);
    return NULL;
}

/* ---- telling the helper, and running the bundle ---- */

static void set_variable(const char *name, const char *value)
{
    if (setenv(name, value, 1) != 0) {
        give_up(LAUNCH_ERROR,
                "Out of memory while preparing the environment.");
    }
}

static void pass_on(const char *folder)
{
    char number[32];
    char program[PATH_MAX];
    const char *caller = getenv("TMPDIR");
    ssize_t length = readlink("/proc/self/exe", program, sizeof program - 1);

    unsetenv("AWS_WIF_HELPER_LAUNCH_COPY"); /* set below only for a copy of this run's */
    if (!caller || strcmp(caller, folder) != 0) {
        set_variable("AWS_WIF_HELPER_CALLER_TMPDIR", caller ? caller : "");
        set_variable("TMPDIR", folder);
    } else {
        unsetenv("AWS_WIF_HELPER_CALLER_TMPDIR");
    }
    if (length > 0) {
        program[length] = '\0';
        set_variable("AWS_WIF_HELPER_PROGRAM", program);
    }
    snprintf(number, sizeof number, "%ld", (long)getpid());
    set_variable("AWS_WIF_HELPER_LAUNCH_PID", number);
}

/* ---- the copy the bundle runs from ---- */

/* `folder`/.aws-wif-helper-kept-UID-BUILD, the copy this user keeps of this build. */
static void kept_copy_path(char path[PATH_MAX], const char *folder, const struct bundle *bundle)
{
    snprintf(path, PATH_MAX, "%s/%s%lu-%s", folder, KEPT_PREFIX, (unsigned long)geteuid(),
             bundle->build);
}

/* Whether the kept copy open as `file` holds the bundle's bytes in every sampled block. */
static int holds_the_bundle(int file, const struct bundle *bundle)
{
    unsigned char kept[SAMPLE_BLOCK_SIZE];
    unsigned char ours[SAMPLE_BLOCK_SIZE];
    off_t size = bundle->length < SAMPLE_BLOCK_SIZE ? bundle->length : SAMPLE_BLOCK_SIZE;
    off_t span = bundle->length - size;

    for (off_t block = 0; block < SAMPLE_BLOCKS; block++) {
        off_t at = span / (SAMPLE_BLOCKS - 1) * block;
        if (block == SAMPLE_BLOCKS - 1) {
            at = span;
        }
        if (pread(file, kept, (size_t)size, at) != size ||
            pread(bundle->file, ours, (size_t)size, bundle->offset + at) != size ||
            memcmp(kept, ours, (size_t)size) != 0) {
            return 0;
        }
    }
    return 1;
}

/*
 * The kept copy at `path` open for running, or -1 when it may not run: it must
 * be a regular file of this user's, mode 0700, with no other name, as long as
 * the bundle and equal to it where sampled, and not the file `failed` (one
 * that could not run). (Its folder
 * was checked: nobody else can replace it.)
 *
 * The descriptor holds a shared lock and stays open across execve, in the
 * bundle's processes, for as long as the run lives: staticx's bootloader looks
 * its file up by name after it has unpacked, and fails if the name is gone, so
 * a run of another build removes a kept copy only when it can lock it alone
 * (never where the file system refuses locks).
 */
static int open_whole_kept_copy(const char *path, const struct bundle *bundle,
                                const struct stat *failed)
{
    struct stat status;
    int file = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);

    if (file < 0) {
        return -1;
    }
    /* Taken by a run removing it (EWOULDBLOCK); where locks are refused (ENOLCK), none is. */
    int unlocked = flock(file, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    int whole = !unlocked && fstat(file, &status) == 0 &&
                S_ISREG(status.st_mode) && status.st_uid == geteuid() &&
                (status.st_mode & 07777) == 0700 && status.st_nlink == 1 &&
                status.st_size == bundle->length &&
                !(failed && status.st_dev == failed->st_dev && status.st_ino == failed->st_ino) &&
                holds_the_bundle(file, bundle);
    if (!whole) {
        close(file);
        return -1;
    }
    return file;
}

/*
 * Remove this user's kept copies of other builds from `folder`, but not one a
 * run holds (see open_whole_kept_copy); `kept` is the one to keep.
 */
static void remove_other_builds(const char *folder, const char *kept)
{
    char prefix[64];
    char path[PATH_MAX];
    struct stat status;
    DIR *entries = opendir(folder);

    if (!entries) {
        return;
    }
    snprintf(prefix, sizeof prefix, "%s%lu-", KEPT_PREFIX, (unsigned long)geteuid());
    for (struct dirent *entry; (entry = readdir(entries));) {
        if (strncmp(entry->d_name, prefix, strlen(prefix)) != 0) {
            continue;
        }
        if (snprintf(path, sizeof path, "%s/%s", folder, entry->d_name) >= (int)sizeof path ||
            strcmp(path, kept) == 0) {
            continue;
        }
        int file = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (file < 0) {
            continue;
        }
        if (fstat(file, &status) == 0 && S_ISREG(status.st_mode) &&
            status.st_uid == geteuid() && flock(file, LOCK_EX | LOCK_NB) == 0) {
            unlink(path); /* no run of that build holds it: none is starting from it */
        }
        close(file);
    }
    closedir(entries);
}

/*
 * A fresh, whole copy of the bundle in `folder`, mode 0700; its path goes to
 * `path`. Returns whether it reached the disk (fsync), which a copy to keep
 * needs: after a crash, a kept copy of the right size must not hold zeros.
 */
static int write_copy(const struct bundle *bundle, const char *folder, char path[PATH_MAX])
{
    if (snprintf(path, PATH_MAX, "%s/%sXXXXXX", folder, COPY_PREFIX) >= PATH_MAX) {
        give_up(FOLDER_ERROR,
                "The unpack folder's path is too long; choose a shorter one with "
                "AWS_WIF_HELPER_UNPACK_DIR.");
    }

    int copy = mkostemp(path, O_CLOEXEC);
    if (copy < 0) {
        give_up(FOLDER_ERROR,
                "Cannot create a file in the unpack folder; check its permissions and free space.");
    }
    int copied = copy_bundle(bundle, copy) == 0 && fchmod(copy, 0700) == 0;
    int synced = copied && fsync(copy) == 0;
    if (close(copy) != 0 || !copied) {
        unlink(path);
        give_up(FOLDER_ERROR,
                "Cannot write the program into the unpack folder; check its free space.");
    }
    return synced;
}

/*
 * Make the fresh `copy` this user's kept copy `kept` and open it for running
 * (open_whole_kept_copy); -1 when it cannot be kept. A whole kept copy is never
 * replaced, since a run may be starting from it: when another run made one
 * meanwhile, that one is used and `copy` removed; only a file that may not run,
 * or the one that `failed`, is replaced.
 */
static int keep_copy(const char *copy, const char *kept, const struct bundle *bundle,
                     const struct stat *failed)
{
    if (renameat2(AT_FDCWD, copy, AT_FDCWD, kept, RENAME_NOREPLACE) != 0) {
        if (errno != EEXIST) {
            return -1; /* a file system without RENAME_NOREPLACE: run `copy` */
        }
        int file = open_whole_kept_copy(kept, bundle, failed);
        if (file >= 0) {
            unlink(copy);
            return file;
        }
        if (rename(copy, kept) != 0) {
            return -1;
        }
    }
    return open_whole_kept_copy(kept, bundle, NULL);
}

/*
 * Run the bundle from this user's kept copy in `folder`, making it first when
 * it is missing, may not run or fails to; or, when no copy can be kept there,
 * from a copy of this run's own. Returns only to give up.
 */
static void run_bundle(const struct bundle *bundle, const char *folder, char **argv)
{
    char kept[PATH_MAX];
    char copy[PATH_MAX];
    struct stat failed;
    int failed_known = 0;

    kept_copy_path(kept, folder, bundle);
    int file = open_whole_kept_copy(kept, bundle, NULL);
    if (file >= 0) {
        fexecve(file, argv, environ);
        failed_known = fstat(file, &failed) == 0; /* not a program (zeros): replace it */
        close(file);
    }

    int synced = write_copy(bundle, folder, copy);
    file = synced ? keep_copy(copy, kept, bundle, failed_known ? &failed : NULL) : -1;
    if (file >= 0) {
        remove_other_builds(folder, kept);
        fexecve(file, argv, environ);
        close(file);
    } else if (access(copy, F_OK) == 0) {
        set_variable("AWS_WIF_HELPER_LAUNCH_COPY", copy);
        execve(copy, argv, environ);
        unlink(copy);
    }
    give_up(FOLDER_ERROR,
            "Cannot run the program from the unpack folder; allow running programs there or "
            "choose another folder with AWS_WIF_HELPER_UNPACK_DIR.");
}

int main(int argc, char **argv)
{
    first_argument = argc > 1 ? argv[1] : NULL;
    struct bundle bundle = find_bundle();
    const char *folder = choose_folder(bundle.length);

    pass_on(folder);

    run_bundle(&bundle, folder, argv);
    return 1;
}
