#if canImport(Glibc)
import Glibc
#endif

/// The site-packages folders of the `python3` on `PATH`, where pip's `nvidia-cublas-*` and `nvidia-cuda-nvrtc-*`
/// wheels (and PyTorch's dependencies) install cuBLAS and NVRTC under `nvidia/<package>/lib`.
enum PythonPackages {
    /// What `python3` prints: `site.getsitepackages()` and the user site, one per line.
    static let script = "import site; print('\\n'.join(site.getsitepackages() + [site.getusersitepackages()]))"

    /// Asks `python3` where its packages live; empty when there is no `python3` or it fails.
    ///
    /// Runs only when cuBLAS or NVRTC was not found anywhere else. Python's standard error is discarded.
    static func sitePackages() -> [String] {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { return [] }
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_addclose(&actions, readEnd)
        posix_spawn_file_actions_addclose(&actions, writeEnd)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let arguments = ["python3", "-c", script]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var process = pid_t()
        let spawned = posix_spawnp(&process, "python3", &actions, nil, &argv, environ)
        close(writeEnd)
        defer { close(readEnd) }
        guard spawned == 0 else { return [] }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if count > 0 {
                output += chunk[0..<count]
            } else if count < 0, errno == EINTR {
                continue
            } else {
                break
            }
        }
        var status: Int32 = 0
        while waitpid(process, &status, 0) < 0, errno == EINTR {}
        // WIFEXITED and WEXITSTATUS are macros Swift does not import: a normal exit has the low 7 bits clear.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else { return [] }
        var seen: Set<String> = []
        return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
            .filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    /// The existing `nvidia/*/lib` folders under each of `sitePackages`, sorted.
    static func nvidiaLibraryFolders(in sitePackages: [String]) -> [String] {
        var folders: [String] = []
        for root in sitePackages {
            var matches = glob_t()
            defer { globfree(&matches) }
            guard glob(root + "/nvidia/*/lib", GLOB_ONLYDIR, nil, &matches) == 0 else { continue }
            for index in 0..<Int(matches.gl_pathc) {
                if let path = matches.gl_pathv[index] { folders.append(String(cString: path)) }
            }
        }
        return folders
    }
}
