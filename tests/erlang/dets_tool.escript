#!/usr/bin/env escript
%% -*- erlang -*-
%%
%% dets_tool.escript - tablesafe's test helper: makes DETS tables with real
%% Erlang and reports what real Erlang says about a file.
%%
%%   escript dets_tool.escript make DIR SHAPE...   build tables (one per shape)
%%   escript dets_tool.escript report FILE         Erlang's figures, one JSON object
%%   escript dets_tool.escript fold FILE           open + fold over every object, timed
%%   escript dets_tool.escript bulk FILE N         a set of N records, for benchmarks
%%   escript dets_tool.escript big FILE MIB [repeated|random]
%%                                                 a set of about MIB MiB (1 MiB objects, all one
%%                                                 value, or each random bytes)
%%   escript dets_tool.escript digest DIR          every DIR/*.dets: accepted? + content digest
%%   escript dets_tool.escript prove SOURCE COPY   COPY holds SOURCE's objects, and takes updates
%%   escript dets_tool.escript hashes MODE DIR     every DIR/*.dets: its objects, as phash2 values
%%   escript dets_tool.escript churn TYPE DIR N    N raw copies of a table taken while it is written
%%
%% report never lets dets touch FILE: it works on a scratch copy, because a
%% default open repairs (rewrites) a file that was not closed properly.
%%
%% digest opens a scratch copy of each *.dets file in DIR (sorted by name)
%% with {access, read}, {repair, false} and the type/keypos its header holds
%% (set/1 when the header is unreadable), folds over every object and prints
%% one JSON line per file:
%%   {"file":"x.dets","accepted":true,"error":null,"objects":N,"sum":S,"rewritten":false,"micros":T}
%% where S = sum mod 2^64 of erlang:phash2(Object, 4294967296), tablesafe's
%% Digest. accepted is false (with error = the formatted reason, objects,
%% sum and rewritten null) when the open or the fold fails or returns
%% {error, _}, crashes, or hangs (2 s + 10 s per MiB: dets can loop forever
%% traversing a damaged file). rewritten is true when dets changed the copy
%% while reading it (it repairs bad free lists in place even with
%% {repair, false}). micros is the time the file took. Four files at a time,
%% each in processes of its own under its own table name: a crash or hang in
%% one never stops the run.
%% dets may print its own messages (e.g. "bad free lists, repairing") on
%% stdout too: the digest lines are the ones starting with {"file".
%%
%% prove opens scratch copies of SOURCE and COPY with {access, read},
%% {repair, false}, looks up every key of SOURCE in both (the answers must be
%% equal, order included), then opens the copy of COPY read-write with
%% {repair, false}, inserts 1,000 new objects, deletes 1,000 keys, writes a
%% new object under 1,000 other existing keys (a set replaces, a bag adds:
%% this is where keys out of dets' order would show, as a second entry for
%% one key), closes it and reopens it with {repair, false}: one JSON object
%% says how each step went.
%%
%% hashes prints one JSON line per file, {"file":..,"accepted":..,"error":..,
%% "hashes":[..],"keys":[..]}, the hashes being erlang:phash2(Object, 4294967296)
%% of every object, sorted, and keys phash2(Key, 4294967296) of each object's key
%% in the same order. MODE strict opens a scratch copy with {access, read},
%% {repair, false}; MODE repair opens it as an application would by default
%% (read_write, repair true): Erlang's own repair of a file not closed; MODE
%% force opens it with {repair, force}: Erlang's repair whatever the header says.
%%
%% churn opens DIR/live.dets (type TYPE, keypos 1) and writes to it without
%% pause: inserts, key deletes and object deletes drawn from a fixed universe
%% of objects {K, V, Payload} (K 1..2000, V 1..20, Payload a function of both,
%% 40-500 bytes). Meanwhile N copies are taken with file:copy/2 as an outside
%% copier would, DIR/copies/copy_NNN.dets, the table open and dirty. It prints
%% {"universe":[..],"keys":[..]}: the phash2 of every object the table could
%% ever hold, and of every key.
%% Shapes are listed in shape/1. Needs only Debian's erlang-base.

-mode(compile).

-include_lib("kernel/include/file.hrl").

main(["make", Dir | Shapes]) when Shapes =/= [] ->
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    [make(Dir, list_to_atom(S)) || S <- Shapes],
    halt(0);
main(["report", File]) ->
    io:put_chars([json(report(File)), "\n"]),
    halt(0);
main(["fold", File]) ->
    {Micros, Count} = timer:tc(fun() -> fold(File) end),
    io:put_chars([json([{objects, Count}, {micros, Micros}]), "\n"]),
    halt(0);
main(["bulk", File, N]) ->
    _ = file:delete(File),
    T = open(File, set, 1, []),
    insert_batches(T, lists:seq(1, list_to_integer(N)),
                   fun(I) -> {I, integer_to_binary(I)} end, 10000),
    ok = dets:close(T),
    halt(0);
main(["big", File, MiB]) ->
    main(["big", File, MiB, "repeated"]);
main(["big", File, MiB, Kind]) when Kind =:= "repeated"; Kind =:= "random" ->
    _ = file:delete(File),
    T = open(File, set, 1, []),
    Size = 9 * 116504,                              % each collection fits a 1 MiB block
    Value = case Kind of
                "repeated" -> fun(_) -> binary:copy(<<"tablesafe">>, 116504) end;
                "random" -> fun(_) -> rand:bytes(Size) end
            end,
    insert_batches(T, lists:seq(1, list_to_integer(MiB)), fun(I) -> {I, Value(I)} end, 16),
    ok = dets:close(T),
    halt(0);
main(["digest", Dir]) ->
    Files = lists:sort(filelib:wildcard("*.dets", Dir)),
    [io:put_chars([json(Line), "\n"]) || Line <- digest_all(Dir, Files)],
    halt(0);
main(["prove", Source, Copy]) ->
    io:put_chars([json(prove(Source, Copy)), "\n"]),
    halt(0);
main(["hashes", Mode, Dir]) when Mode =:= "strict"; Mode =:= "repair"; Mode =:= "force" ->
    Files = lists:sort(filelib:wildcard("*.dets", Dir)),
    Work = fun(File, Name) -> hashes(list_to_atom(Mode), File, Name) end,
    [io:put_chars([json(Line), "\n"]) || Line <- pool(Dir, Files, Work, fun hashes_line/2)],
    halt(0);
main(["churn", Type, Dir, N]) ->
    io:put_chars([json(churn(list_to_atom(Type), Dir, list_to_integer(N))), "\n"]),
    halt(0);
main(_) ->
    io:format(standard_error,
              "usage: dets_tool.escript make DIR SHAPE... | report FILE | fold FILE | bulk FILE N"
              " | big FILE MIB | digest DIR | prove SOURCE COPY | hashes strict|repair|force DIR"
              " | churn TYPE DIR N~n",
              []),
    halt(2).

%% --- making tables ---------------------------------------------------------

make(Dir, Shape) ->
    File = filename:join(Dir, atom_to_list(Shape) ++ ".dets"),
    _ = file:delete(File),
    shape(Shape, File).

%% 100,000 records in batches so the hash table grows into many segments.
shape(set_100k, File) ->
    T = open(File, set, 1, []),
    insert_batches(T, lists:seq(1, 100000), fun(I) -> {I, integer_to_binary(I)} end, 5000),
    ok = dets:close(T);
%% bag: 4 distinct objects for each of 5,000 keys, keypos 2.
shape(bag_kp2, File) ->
    T = open(File, bag, 2, []),
    insert_batches(T, [{V, K} || K <- lists:seq(1, 5000), V <- lists:seq(1, 4)],
                   fun({V, K}) -> {value, K, V} end, 2000),
    ok = dets:close(T);
%% duplicate_bag with byte-identical duplicates and atom keys.
shape(dup_bag, File) ->
    T = open(File, duplicate_bag, 1, []),
    Keys = [list_to_atom("key_" ++ integer_to_list(K)) || K <- lists:seq(1, 700)],
    insert_batches(T, [{K, R} || K <- Keys, R <- lists:seq(1, 6)],
                   fun({K, R}) -> {K, R rem 3} end, 1000),
    ok = dets:close(T);
%% keypos 3 in 5-tuples with mixed key types.
shape(set_kp3, File) ->
    T = open(File, set, 3, []),
    Key = fun(I) when I rem 3 =:= 0 -> {tuple, I};
             (I) when I rem 3 =:= 1 -> integer_to_list(I);
             (I) -> I * 1.5
          end,
    insert_batches(T, lists:seq(1, 20000), fun(I) -> {a, b, Key(I), I, <<"x">>} end, 4000),
    ok = dets:close(T);
%% large binary values: 64 KiB to 2 MiB objects.
shape(large_values, File) ->
    T = open(File, set, 1, []),
    Sizes = [65536, 262144, 1048576, 2097152],
    insert_batches(T, lists:seq(1, 24),
                   fun(I) -> {I, binary:copy(<<(I rem 251)>>, lists:nth(1 + I rem 4, Sizes))} end,
                   5),
    ok = dets:close(T);
%% heavy deletes in a set: 50,000 in, 40,000 out, across a reopen.
shape(set_deleted, File) ->
    T = open(File, set, 1, []),
    insert_batches(T, lists:seq(1, 50000), fun(I) -> {I, binary:copy(<<"v">>, I rem 90)} end, 5000),
    ok = dets:close(T),
    T2 = open(File, set, 1, []),
    [ok = dets:delete(T2, I) || I <- lists:seq(1, 50000), I rem 5 =/= 0],
    ok = dets:close(T2);
%% heavy deletes and rewrites in a bag.
shape(bag_deleted, File) ->
    T = open(File, bag, 1, []),
    insert_batches(T, [{K, V} || K <- lists:seq(1, 3000), V <- lists:seq(1, 3)],
                   fun(O) -> O end, 3000),
    [ok = dets:delete_object(T, {K, 2}) || K <- lists:seq(1, 3000)],
    [ok = dets:delete(T, K) || K <- lists:seq(1, 3000), K rem 4 =:= 0],
    [ok = dets:insert(T, {K, binary:copy(<<"w">>, 300)}) || K <- lists:seq(1, 3000, 7)],
    ok = dets:close(T);
%% two segment-array parts (min_no_slots above 131072).
shape(two_parts, File) ->
    T = open(File, set, 1, [{min_no_slots, 140000}]),
    insert_batches(T, lists:seq(1, 5000), fun(I) -> {I, I} end, 5000),
    ok = dets:close(T);
%% a copy of a table taken while it is open and modified (flushed, not synced).
shape(open_copy, File) ->
    Live = File ++ ".live",
    _ = file:delete(Live),
    T = open(Live, set, 1, []),
    insert_batches(T, lists:seq(1, 3000), fun(I) -> {I, I} end, 3000),
    ok = dets:close(T),
    T2 = open(Live, set, 1, []),
    [ok = dets:insert(T2, {I, new}) || I <- lists:seq(2000, 4000)],
    [ok = dets:delete(T2, I) || I <- lists:seq(1, 500)],
    _ = dets:info(T2, size),               % flushes the write cache
    {ok, _} = file:copy(Live, File),
    ok = dets:close(T2),
    ok = file:delete(Live);
%% a million small objects.
shape(set_1m, File) ->
    T = open(File, set, 1, []),
    insert_batches(T, lists:seq(1, 1000000), fun(I) -> {I, integer_to_binary(I)} end, 50000),
    ok = dets:close(T);
shape(empty_grown, File) ->
    T = open(File, set, 1, []),
    insert_batches(T, lists:seq(1, 20000), fun(I) -> {I, I} end, 2000),
    [ok = dets:delete(T, I) || I <- lists:seq(1, 20000)],
    ok = dets:close(T).

open(File, Type, KeyPos, Opts) ->
    {ok, T} = dets:open_file(make_ref(), [{file, File}, {type, Type}, {keypos, KeyPos} | Opts]),
    T.

%% Inserts in batches with a size query between them, so each batch is
%% flushed and the table grows its hash table as a live application would.
insert_batches(_T, [], _Make, _N) -> ok;
insert_batches(T, Items, Make, N) ->
    {Batch, Rest} = lists:split(min(N, length(Items)), Items),
    ok = dets:insert(T, [Make(I) || I <- Batch]),
    _ = dets:info(T, size),
    insert_batches(T, Rest, Make, N).

%% --- reporting -------------------------------------------------------------

report(File) ->
    {ok, Bytes} = file:read_file(File),
    <<_:96, TypeCode:32, _:96, KeyPos:32, _/binary>> = Bytes,
    Opts = [{type, type(TypeCode)}, {keypos, KeyPos}],
    Strict = with_copy(File, fun(Copy) -> strict(Copy, Opts) end),
    Repaired = case proplists:get_value(accepted, Strict) of
                   true -> null;
                   false -> with_copy(File, fun(Copy) -> repaired(Copy, Opts) end)
               end,
    [{file_size, byte_size(Bytes)}, {repaired, Repaired} | Strict].

strict(Copy, Opts) ->
    case dets:open_file(make_ref(), [{file, Copy}, {access, read}, {repair, false} | Opts]) of
        {ok, T} ->
            {Objects, Keys} = count(T),
            Md5 = erlang:md5(term_to_binary(lists:sort(dets:foldl(fun(O, A) -> [O | A] end, [], T)))),
            R = [{accepted, true}, {error, null},
                 {content_md5, list_to_binary([io_lib:format("~2.16.0b", [X]) || <<X>> <= Md5])},
                 {type, dets:info(T, type)}, {keypos, dets:info(T, keypos)},
                 {size, dets:info(T, size)}, {no_keys, dets:info(T, no_keys)},
                 {objects, Objects}, {distinct_keys, Keys},
                 {free_bytes, free_bytes(Copy)}],
            ok = dets:close(T),
            R;
        {error, Reason} ->
            [{accepted, false}, {error, reason(Reason)}]
    end.

repaired(Copy, Opts) ->
    {ok, T} = dets:open_file(make_ref(), [{file, Copy} | Opts]),
    {Objects, _} = count(T),
    ok = dets:close(T),
    Objects.

count(T) ->
    Keys = dets:foldl(fun(O, Acc) -> [O | Acc] end, [], T),
    KeyPos = dets:info(T, keypos),
    {length(Keys), length(lists:usort([element(KeyPos, O) || O <- Keys]))}.

%% Free bytes inside the data area, from dets' own reading of the free lists
%% of a properly closed file (stdlib's dets_v9 and dets_utils, OTP 25).
free_bytes(File) ->
    {ok, Fd} = file:open(File, [raw, binary, read]),
    try
        {ok, Fd, FH} = dets_v9:read_file_header(Fd, File),
        {ok, H} = dets_v9:check_file_header(FH, Fd),
        {ok, <<DataEnd:32>>} = file:pread(Fd, 0, 4),
        Free = dets_utils:all_free(dets_v9:init_freelist(H)),
        lists:sum([min(Y, DataEnd) - X || {X, Y} <- Free, X < DataEnd])
    after
        file:close(Fd)
    end.

fold(File) ->
    {ok, T} = dets:open_file(make_ref(), [{file, File}, {access, read}]),
    N = dets:foldl(fun(_, Acc) -> Acc + 1 end, 0, T),
    ok = dets:close(T),
    N.

with_copy(File, Fun) ->
    Copy = filename:join(tmp_dir(), "dets_tool_" ++ os:getpid() ++ "_" ++
                             integer_to_list(erlang:unique_integer([positive]))),
    {ok, _} = file:copy(File, Copy),
    try Fun(Copy)
    after
        _ = file:delete(Copy),
        _ = file:delete(Copy ++ ".TMP")
    end.

tmp_dir() ->
    case os:getenv("TMPDIR") of
        false -> "/tmp";
        "" -> "/tmp";
        D -> D
    end.

type(1) -> set;
type(2) -> bag;
type(3) -> duplicate_bag;
type(_) -> set.

reason({Reason, _File}) when is_atom(Reason) -> Reason;
reason(Reason) when is_atom(Reason) -> Reason;
reason(Other) -> list_to_binary(io_lib:format("~0p", [Other])).

%% --- digests --------------------------------------------------------------

%% Parallel jobs. dets can spin forever on a damaged file (a traversal that
%% keeps re-reading past the end): such a file costs its timeout, and jobs in
%% parallel keep a few of those from adding up.
-define(DIGEST_JOBS, 4).

%% Digests every file with up to ?DIGEST_JOBS at a time; the lines in order.
digest_all(Dir, Files) ->
    pool(Dir, Files, fun digest/2, fun(Name, Result) -> digest_line(Name, Result, 0) end).

%% Work(Path, Name) for every file, up to ?DIGEST_JOBS at a time, each in a
%% process of its own; the lines in the order of Files. A worker that dies
%% gets the line Crashed(Name, {error, Why}).
pool(Dir, Files, Work, Crashed) ->
    Results = pool(Dir, Files, {Work, Crashed}, #{}, #{}),
    [maps:get(F, Results) || F <- Files].

pool(_Dir, [], _Funs, Running, Results) when map_size(Running) =:= 0 ->
    Results;
pool(Dir, [F | Rest], {Work, _} = Funs, Running, Results) when map_size(Running) < ?DIGEST_JOBS ->
    Parent = self(),
    {Pid, Ref} = spawn_monitor(fun() -> Parent ! {done, self(), Work(filename:join(Dir, F), F)} end),
    pool(Dir, Rest, Funs, Running#{Pid => {Ref, F}}, Results);
pool(Dir, Files, {_, Crashed} = Funs, Running, Results) ->
    receive
        {done, Pid, Line} when is_map_key(Pid, Running) ->
            {{Ref, F}, Running1} = maps:take(Pid, Running),
            erlang:demonitor(Ref, [flush]),
            pool(Dir, Files, Funs, Running1, Results#{F => Line});
        {'DOWN', _Ref, process, Pid, Why} when is_map_key(Pid, Running) ->
            {{_, F}, Running1} = maps:take(Pid, Running),
            Line = Crashed(F, {error, {crashed, Why}}),
            pool(Dir, Files, Funs, Running1, Results#{F => Line})
    end.

%% Opens a scratch copy of File in a process of its own, so that a crash, a
%% hang or a huge allocation on a damaged file costs only that file.
digest(File, Name) ->
    {Micros, Result} =
        timer:tc(fun() ->
                         try with_copy(File, fun(Copy) -> isolated(fun() -> digest_copy(Copy) end,
                                                                    digest_timeout(Copy))
                                             end)
                         catch C:E -> {error, {C, E}}
                         end
                 end),
    digest_line(Name, Result, Micros).

digest_line(Name, Result, Micros) ->
    FileName = unicode:characters_to_binary(Name),
    case Result of
        {ok, {N, S}, Rewritten} ->
            [{file, FileName}, {accepted, true}, {error, null}, {objects, N}, {sum, S},
             {rewritten, Rewritten}, {micros, Micros}];
        {error, Reason} ->
            [{file, FileName}, {accepted, false}, {error, digest_reason(Reason)},
             {objects, null}, {sum, null}, {rewritten, null}, {micros, Micros}]
    end.

%% 2 s plus 10 s per MiB: a sound file folds 20 to 100 times faster than that,
%% even with four at a time on two busy cores.
digest_timeout(File) ->
    2000 + filelib:file_size(File) * 10000 div (1 bsl 20).

%% Runs Fun in a process of its own. On timeout it kills that process and
%% the dets table process it is linked to (still spinning on the file).
isolated(Fun, Timeout) ->
    Parent = self(),
    {Pid, Ref} = spawn_monitor(fun() -> Parent ! {self(), Fun()} end),
    receive
        {Pid, R} -> erlang:demonitor(Ref, [flush]), R;
        {'DOWN', Ref, process, Pid, Why} -> {error, {crashed, Why}}
    after Timeout ->
        Tables = [P || {_, P, _, _} <- supervisor:which_children(dets_sup)],
        Linked = case process_info(Pid, links) of
                     {links, Ls} -> Ls;
                     undefined -> []
                 end,
        exit(Pid, kill),
        [exit(P, kill) || P <- Linked, lists:member(P, Tables)],
        receive {'DOWN', Ref, process, Pid, _} -> ok end,
        {error, {timeout, Timeout}}
    end.

digest_copy(Copy) ->
    {Type, KeyPos} = header_type_keypos(Copy),
    Name = {tablesafe_digest, erlang:unique_integer([positive])},
    Opts = [{file, Copy}, {access, read}, {repair, false}, {type, Type}, {keypos, KeyPos}],
    Before = file_identity(Copy),
    case catch dets:open_file(Name, Opts) of
        {ok, T} ->
            Fold = try dets:foldl(fun(O, {N, S}) ->
                                          {N + 1, (S + erlang:phash2(O, 4294967296))
                                                      band 16#FFFFFFFFFFFFFFFF}
                                  end, {0, 0}, T)
                   catch C:E -> {error, {C, E}}
                   end,
            _ = (catch dets:close(T)),
            case Fold of
                {N, S} when is_integer(N), is_integer(S) ->
                    {ok, {N, S}, file_identity(Copy) =/= Before};
                {error, Reason} -> {error, Reason};
                Other -> {error, {unexpected, Other}}
            end;
        {error, Reason} -> {error, Reason};
        Other -> {error, {open_failed, Other}}
    end.

%% What changes when dets rewrites a file (a repair writes a new file and renames it).
file_identity(File) ->
    case file:read_file_info(File, [raw, {time, posix}]) of
        {ok, #file_info{inode = I, size = Sz, mtime = M}} -> {I, Sz, M};
        Other -> Other
    end.

header_type_keypos(File) ->
    case file:open(File, [raw, binary, read]) of
        {ok, Fd} ->
            R = file:pread(Fd, 0, 32),
            _ = file:close(Fd),
            case R of
                {ok, <<_:96, TypeCode:32, _:96, KeyPos:32>>} when KeyPos >= 1 ->
                    {type(TypeCode), KeyPos};
                _ -> {set, 1}
            end;
        _ -> {set, 1}
    end.

%% The reason without the scratch file's name: printable ASCII, at most 400 bytes.
digest_reason({Reason, File}) when is_list(File) -> digest_reason(Reason);
digest_reason(Reason) when is_atom(Reason) -> atom_to_binary(Reason);
digest_reason(Reason) ->
    Text = [if C >= 32, C < 127 -> C; true -> $? end
            || C <- lists:flatten(io_lib:format("~0P", [Reason, 12]))],
    list_to_binary(lists:sublist(Text, 400)).

%% --- proving a rebuilt file ---------------------------------------------------

prove(Source, Copy) ->
    with_copy(Source, fun(S) -> with_copy(Copy, fun(C) -> prove_copies(S, C) end) end).

prove_copies(S, C) ->
    {Type, KeyPos} = header_type_keypos(S),
    Opts = [{type, Type}, {keypos, KeyPos}],
    {ok, TS} = dets:open_file(make_ref(), [{file, S}, {access, read}, {repair, false} | Opts]),
    %% Distinct keys by =:= (a map's keys), not by == as usort would: 1 and
    %% 1.0 are two keys of a table.
    Keys = lists:sort(maps:keys(dets:foldl(fun(O, A) -> A#{element(KeyPos, O) => []} end, #{}, TS))),
    case dets:open_file(make_ref(), [{file, C}, {access, read}, {repair, false} | Opts]) of
        {error, Reason} ->
            ok = dets:close(TS),
            [{accepted, false}, {error, reason(Reason)}];
        {ok, TC} ->
            Mismatches = length([K || K <- Keys, dets:lookup(TS, K) =/= dets:lookup(TC, K)]),
            Info = fun(T) -> [{size, dets:info(T, size)}, {no_keys, dets:info(T, no_keys)}] end,
            Result = [{accepted, true}, {error, null}, {keys_looked_up, length(Keys)},
                      {lookup_mismatches, Mismatches}, {source, Info(TS)}, {copy, Info(TC)}],
            ok = dets:close(TS),
            ok = dets:close(TC),
            Result ++ [{after_update, update_cycle(C, Opts, KeyPos, Keys)}]
    end.

%% Inserts 1,000 objects under new keys and deletes 1,000 keys, closes, and
%% reopens with {repair, false}: the table must be exactly what those updates make.
update_cycle(File, Opts, KeyPos, Keys) ->
    case dets:open_file(make_ref(), [{file, File}, {repair, false} | Opts]) of
        {error, Reason} ->
            [{accepted, false}, {error, reason(Reason)}];
        {ok, T} ->
            Size0 = dets:info(T, size),
            New = [list_to_tuple(lists:duplicate(KeyPos - 1, filler) ++ [{tablesafe_new, I}, I])
                   || I <- lists:seq(1, 1000)],
            ok = dets:insert(T, New),
            Gone = lists:sublist(Keys, 1000),
            Deleted = lists:sum([length(dets:lookup(T, K)) || K <- Gone]),
            [ok = dets:delete(T, K) || K <- Gone],
            Kept = lists:sublist(lists:nthtail(length(Gone), Keys), 1000),
            Rewritten = [list_to_tuple(lists:duplicate(KeyPos - 1, filler) ++ [K, tablesafe_rewritten])
                         || K <- Kept],
            ok = dets:insert(T, Rewritten),
            Added = case dets:info(T, type) of
                        set -> 0;
                        _ -> length(Rewritten)
                    end,
            NoKeys0 = length(Keys),
            ok = dets:close(T),
            case dets:open_file(make_ref(), [{file, File}, {access, read}, {repair, false} | Opts]) of
                {error, Reason} ->
                    [{accepted, false}, {error, reason(Reason)}];
                {ok, T2} ->
                    Found = length([O || O <- New, dets:lookup(T2, element(KeyPos, O)) =:= [O]]),
                    StillThere = length([K || K <- Gone, dets:lookup(T2, K) =/= []]),
                    Once = fun(O) ->
                                   L = dets:lookup(T2, element(KeyPos, O)),
                                   length([X || X <- L, X =:= O]) =:= 1
                           end,
                    RewrittenFound = length([O || O <- Rewritten, Once(O)]),
                    Result = [{accepted, true}, {error, null}, {size, dets:info(T2, size)},
                              {expected_size, Size0 + 1000 - Deleted + Added},
                              {no_keys, dets:info(T2, no_keys)},
                              {expected_no_keys, NoKeys0 + 1000 - length(Gone)},
                              {inserted_found, Found}, {deleted_still_there, StillThere},
                              {rewritten, length(Rewritten)}, {rewritten_found, RewrittenFound}],
                    ok = dets:close(T2),
                    Result
            end
    end.

%% --- every object of a file, as Erlang reads or repairs it -----------------------

hashes(Mode, File, Name) ->
    Result = try with_copy(File, fun(Copy) -> isolated(fun() -> hashes_copy(Mode, Copy) end,
                                                       digest_timeout(Copy))
                                end)
             catch C:E -> {error, {C, E}}
             end,
    hashes_line(Name, Result).

hashes_line(Name, Result) ->
    FileName = unicode:characters_to_binary(Name),
    case Result of
        {ok, Pairs} -> [{file, FileName}, {accepted, true}, {error, null},
                        {hashes, {integers, [H || {H, _} <- Pairs]}},
                        {keys, {integers, [K || {_, K} <- Pairs]}}];
        {error, Reason} -> [{file, FileName}, {accepted, false}, {error, digest_reason(Reason)},
                            {hashes, null}, {keys, null}]
    end.

hashes_copy(Mode, Copy) ->
    {Type, KeyPos} = header_type_keypos(Copy),
    Access = case Mode of
                 strict -> [{access, read}, {repair, false}];
                 repair -> [];
                 force -> [{repair, force}]
             end,
    Name = {tablesafe_hashes, erlang:unique_integer([positive])},
    case catch dets:open_file(Name, [{file, Copy}, {type, Type}, {keypos, KeyPos} | Access]) of
        {ok, T} ->
            Pair = fun(O) -> {erlang:phash2(O, 4294967296), erlang:phash2(element(KeyPos, O), 4294967296)} end,
            Fold = (catch dets:foldl(fun(O, A) -> [Pair(O) | A] end, [], T)),
            _ = (catch dets:close(T)),
            case Fold of
                L when is_list(L) -> {ok, lists:sort(L)};
                {error, Reason} -> {error, Reason};
                Other -> {error, {fold_failed, Other}}
            end;
        {error, Reason} -> {error, Reason};
        Other -> {error, {open_failed, Other}}
    end.

%% --- copies of a table taken while it is written ---------------------------------

churn(Type, Dir, N) ->
    Copies = filename:join(Dir, "copies"),
    ok = filelib:ensure_dir(filename:join(Copies, "x")),
    File = filename:join(Dir, "live.dets"),
    _ = file:delete(File),
    T = open(File, Type, 1, [{auto_save, infinity}]),
    Object = fun(K, V) -> {K, V, binary:copy(<<V, K:16>>, 13 + (K * 7 + V) rem 150)} end,
    Parent = self(),
    Writer = spawn_link(fun() ->
                            rand:seed(exsss, {7, 11, 13}),
                            Parent ! {self(), started},
                            churn_loop(T, Object, Parent)
                        end),
    receive {Writer, started} -> ok end,
    [begin
         timer:sleep(5 + I rem 13),
         Name = io_lib:format("copy_~3..0b.dets", [I]),
         {ok, _} = file:copy(File, filename:join(Copies, Name))
     end || I <- lists:seq(1, N)],
    Writer ! {Parent, stop},
    receive {Writer, stopped} -> ok end,
    ok = dets:close(T),
    Universe = lists:sort([erlang:phash2(Object(K, V), 4294967296)
                           || K <- lists:seq(1, 2000), V <- lists:seq(1, 20)]),
    Keys = lists:sort([erlang:phash2(K, 4294967296) || K <- lists:seq(1, 2000)]),
    [{universe, {integers, Universe}}, {keys, {integers, Keys}}].

churn_loop(T, Object, Parent) ->
    receive
        {Parent, stop} -> Parent ! {self(), stopped}
    after 0 ->
        K = rand:uniform(2000),
        V = rand:uniform(20),
        case rand:uniform(20) of
            R when R =< 12 ->
                Batch = [Object(rand:uniform(2000), rand:uniform(20)) || _ <- lists:seq(1, rand:uniform(8))],
                ok = dets:insert(T, Batch);
            R when R =< 17 -> ok = dets:delete(T, K);
            _ -> ok = dets:delete_object(T, Object(K, V))
        end,
        churn_loop(T, Object, Parent)
    end.

%% --- a small JSON encoder for proplists -------------------------------------

json(null) -> "null";
json(true) -> "true";
json(false) -> "false";
json(N) when is_integer(N) -> integer_to_list(N);
json(A) when is_atom(A) -> json(atom_to_binary(A));
json(B) when is_binary(B) -> [$", escape(B), $"];
json({integers, L}) ->
    ["[", lists:join(",", [integer_to_list(I) || I <- L]), "]"];
json(L) when is_list(L) ->
    ["{", lists:join(",", [[json(atom_to_binary(K)), ":", json(V)] || {K, V} <- L]), "}"].

escape(B) ->
    << <<(escape_char(C))/binary>> || <<C>> <= B >>.

escape_char($") -> <<"\\\"">>;
escape_char($\\) -> <<"\\\\">>;
escape_char(C) when C < 32 -> list_to_binary(io_lib:format("\\u~4.16.0b", [C]));
escape_char(C) -> <<C>>.
