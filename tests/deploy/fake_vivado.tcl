# Vivado's stand-in in the tests, run as `tclsh fake_vivado.tcl -mode batch ... -source SCRIPT
# -log LOG` in the script's folder. It sources SCRIPT with every command Tcl does not know (all
# of Vivado's) recorded in calls.txt, one per line, arguments separated by tabs, and answered as
# far as the script needs: the IP definitions exist, the run completes (launch_runs writes a
# bitstream and the block design's hardware handoff), and report_utilization and
# report_timing_summary copy the excerpt of the same name from $FAKE_VIVADO_REPORTS. With
# $FAKE_VIVADO_FAIL set the run does not complete. A script error ends like Vivado's: an ERROR
# line in the log and exit code 1.
set script [lindex $argv [expr {[lsearch $argv -source] + 1}]]
set log [lindex $argv [expr {[lsearch $argv -log] + 1}]]
set calls [open calls.txt w]
set run_dir [file normalize impl_run]

proc unknown {args} {
    global calls run_dir here
    puts $calls [join $args "\t"]
    switch -- [lindex $args 0] {
        get_property {
            switch -- [lindex $args 1] {
                VLNV { return "xilinx.com:ip:stand_in:1.0" }
                DIRECTORY { return $run_dir }
                PROGRESS {
                    if {[info exists ::env(FAKE_VIVADO_FAIL)]} { return "0%" }
                    return "100%"
                }
            }
        }
        launch_runs {
            file mkdir $run_dir
            close [open [file join $run_dir top_wrapper.bit] w]
            set handoff [file join $here project finnflow.gen sources_1 bd top hw_handoff]
            file mkdir $handoff
            close [open [file join $handoff top.hwh] w]
        }
        report_utilization - report_timing_summary {
            set dest [lindex $args [expr {[lsearch $args -file] + 1}]]
            if {[info exists ::env(FAKE_VIVADO_REPORTS)]} {
                file copy -force [file join $::env(FAKE_VIVADO_REPORTS) [file tail $dest]] $dest
            }
        }
    }
    return ""
}

if {[catch {source $script} message]} {
    close $calls
    set f [open $log w]
    puts $f "ERROR: \[Common 17-39\] $message"
    close $f
    puts stderr $message
    exit 1
}
close $calls
