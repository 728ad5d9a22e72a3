#!/usr/bin/env escript
%% -*- erlang -*-
%%
%% rebuild.escript - the Erlang side of scripts/bench-rebuild.sh.
%%
%%   escript rebuild.escript fragmented FILE MIB   a set whose file is about MIB MiB, then
%%                                                 every other key deleted (about half free)
%%   escript rebuild.escript compact FILE          Erlang's compaction: open with
%%                                                 {repair, force}, close; timed
%%   escript rebuild.escript digest FILE           objects and phash2 sum, {repair, false}
%%
%% Each prints one JSON object.

-mode(compile).

main(["fragmented", File, MiB]) ->
    _ = file:delete(File),
    {ok, T} = dets:open_file(make_ref(), [{file, File}, {type, set}]),
    %% Objects of about 6 KB, each in an 8 KiB block: 128 per MiB of file.
    N = list_to_integer(MiB) * 128,
    Object = fun(I) -> {I, binary:copy(<<(I rem 251), (I div 251 rem 251)>>, 3000)} end,
    batches(T, lists:seq(1, N), Object, 2000),
    ok = dets:close(T),
    {ok, T2} = dets:open_file(make_ref(), [{file, File}, {type, set}]),
    [ok = dets:delete(T2, I) || I <- lists:seq(2, N, 2)],
    ok = dets:close(T2),
    {ok, Info} = file:read_file_info(File),
    out([{objects, N - N div 2}, {bytes, element(2, Info)}]);
main(["compact", File]) ->
    {Micros, ok} = timer:tc(fun() ->
        {ok, T} = dets:open_file(make_ref(), [{file, File}, {repair, force}]),
        dets:close(T)
    end),
    {ok, Info} = file:read_file_info(File),
    out([{micros, Micros}, {bytes, element(2, Info)}]);
main(["digest", File]) ->
    {ok, T} = dets:open_file(make_ref(), [{file, File}, {access, read}, {repair, false}]),
    {N, S} = dets:foldl(fun(O, {C, Sum}) -> {C + 1, (Sum + erlang:phash2(O, 4294967296)) rem (1 bsl 64)} end,
                        {0, 0}, T),
    ok = dets:close(T),
    out([{objects, N}, {sum, S}]);
main(_) ->
    io:format(standard_error, "usage: rebuild.escript fragmented FILE MIB | compact FILE | digest FILE~n", []),
    halt(2).

batches(_T, [], _Object, _Size) -> ok;
batches(T, L, Object, Size) ->
    {Batch, Rest} = lists:split(min(Size, length(L)), L),
    ok = dets:insert(T, [Object(I) || I <- Batch]),
    batches(T, Rest, Object, Size).

out(Fields) ->
    io:put_chars(["{", lists:join(",", [["\"", atom_to_list(K), "\":", integer_to_list(V)] || {K, V} <- Fields]), "}\n"]),
    halt(0).
