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
%%   escript dets_tool.escript big FILE MIB        a set of about MIB MiB (1 MiB objects)
%%
%% report never lets dets touch FILE: it works on a scratch copy, because a
%% default open repairs (rewrites) a file that was not closed properly.
%% Shapes are listed in shape/1. Needs only Debian's erlang-base.

-mode(compile).

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
    _ = file:delete(File),
    T = open(File, set, 1, []),
    Value = binary:copy(<<"tablesafe">>, 116504),   % each collection fits a 1 MiB block
    insert_batches(T, lists:seq(1, list_to_integer(MiB)), fun(I) -> {I, Value} end, 16),
    ok = dets:close(T),
    halt(0);
main(_) ->
    io:format(standard_error,
              "usage: dets_tool.escript make DIR SHAPE... | report FILE | fold FILE | bulk FILE N | big FILE MIB~n",
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

%% --- a small JSON encoder for proplists -------------------------------------

json(null) -> "null";
json(true) -> "true";
json(false) -> "false";
json(N) when is_integer(N) -> integer_to_list(N);
json(A) when is_atom(A) -> json(atom_to_binary(A));
json(B) when is_binary(B) -> [$", B, $"];
json(L) when is_list(L) ->
    ["{", lists:join(",", [[json(atom_to_binary(K)), ":", json(V)] || {K, V} <- L]), "}"].
